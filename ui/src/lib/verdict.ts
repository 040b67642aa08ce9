import type { VerifyKind, VerifyOrderMatch, VerifyReport } from '../bindings'

export type Tone = 'success' | 'danger' | 'warning' | 'info'
export type Mark = 'match' | 'mismatch' | 'unknown'

/** Why the Settle button is (not) offered for a verdict. */
export type SettleGate =
  | 'ok'
  | 'invalid'
  | 'response'
  | 'no_order'
  | 'order_missing'
  | 'already_paid'
  | 'amount_mismatch'
  | 'app_id_mismatch'
  | 'seller_id_mismatch'

export interface VerdictView {
  label: 'VALID' | 'INVALID'
  tone: Tone
  kindKey: string
  /** Backend reason, or an i18n key to explain that none was given. */
  reason: { text: string } | { key: string } | null
  hint: { text: string } | { key: string } | null
  /** A note on a valid verdict: Alipay's undocumented signing habit held (i18n key). */
  noteKey: string | null
  marks: { amount: Mark; app_id: Mark; seller_id: Mark }
  settle: SettleGate
  signedCount: number
  unsignedCount: number
}

export function mark(value: boolean | null | undefined): Mark {
  return value === true ? 'match' : value === false ? 'mismatch' : 'unknown'
}

export function kindKey(kind: VerifyKind): string {
  return `verify.kind.${kind}`
}

export function settleGate(report: VerifyReport): SettleGate {
  if (!report.valid) return 'invalid'
  // A response proves what Alipay answered; settling goes through a notify or the order number.
  if (report.kind === 'response') return 'response'
  const order: VerifyOrderMatch | null = report.order
  if (!order) return 'no_order'
  if (!order.exists) return 'order_missing'
  // A paid amount that differs from the order must never be settled — the site never checked it.
  if (order.amount_matches === false) return 'amount_mismatch'
  if (order.app_id_matches === false) return 'app_id_mismatch'
  if (order.seller_id_matches === false) return 'seller_id_mismatch'
  if (order.status === 1) return 'already_paid'
  return 'ok'
}

/**
 * Whether Settle is offered. An order that is already paid may still be settled: core answers
 * `already_settled` without changing anything, which is how the operator learns that the notify
 * got there first (and sees the success view with what was granted).
 */
export function canSettle(gate: SettleGate): boolean {
  return gate === 'ok' || gate === 'already_paid'
}

export function verdictView(report: VerifyReport): VerdictView {
  const signedCount = report.fields.filter((f) => f.signed).length
  let reason: VerdictView['reason'] = null
  let hint: VerdictView['hint'] = null
  if (report.reason) reason = { text: report.reason }
  else if (!report.valid) reason = { key: 'verify.noReason' }
  if (report.hint) hint = { text: report.hint }
  else if (!report.valid && report.kind === 'unknown') hint = { key: 'verify.hintUnknownKind' }

  const gate = settleGate(report)
  let tone: Tone = report.valid ? 'success' : 'danger'
  // Signature fine but the money or the merchant does not match: valid, yet not safe.
  if (report.valid && gate !== 'ok' && gate !== 'already_paid' && gate !== 'response') tone = 'warning'

  return {
    label: report.valid ? 'VALID' : 'INVALID',
    tone,
    kindKey: kindKey(report.kind),
    reason,
    hint,
    noteKey: report.valid && report.signed_over === 'sign_type_kept' ? 'verify.note.signTypeKept' : null,
    marks: {
      amount: mark(report.order?.amount_matches),
      app_id: mark(report.order?.app_id_matches),
      seller_id: mark(report.order?.seller_id_matches),
    },
    settle: gate,
    signedCount,
    unsignedCount: report.fields.length - signedCount,
  }
}
