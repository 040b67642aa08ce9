import { compareMoney, normaliseMoney, parseCents, subtractMoney } from './money'

/** What is left to refund on an order: real_price − refunded (exact, never below zero). */
export function refundableAmount(realPrice: string, refunded: string): string | null {
  const left = subtractMoney(realPrice, refunded)
  if (left === null) return null
  return (parseCents(left) ?? 0n) < 0n ? '0.00' : left
}

export type RefundCheck =
  | { ok: true; amount: string | null }
  | { ok: false; problem: 'nothing_left' | 'bad_amount' }

/**
 * Full refunds send `amount: null` (the backend takes all that is left, so a refund racing another
 * cannot overshoot); partial ones send the normalised amount, which must be > 0 and ≤ what is left.
 */
export function checkRefund(mode: 'full' | 'partial', amount: string, refundable: string): RefundCheck {
  const left = parseCents(refundable)
  if (left === null || left <= 0n) return { ok: false, problem: 'nothing_left' }
  if (mode === 'full') return { ok: true, amount: null }
  const normalised = normaliseMoney(amount)
  if (normalised === null || (parseCents(normalised) ?? 0n) <= 0n || compareMoney(normalised, refundable) === 1) {
    return { ok: false, problem: 'bad_amount' }
  }
  return { ok: true, amount: normalised }
}
