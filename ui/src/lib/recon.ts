// Pure helpers of the Reconcile (对账) view and its daily chart. Money stays a decimal string or
// integer fen (BigInt) throughout: a bar's height is the one place a ratio of two fen amounts
// becomes a float, and that float is pixels, never money.
import type { ReconAction, ReconCategory } from '../bindings'
import { centsToString, formatMoney, parseCents, subtractMoney } from './money'

/** The backend's category order (open rows are sorted by it, and the report lists them so). */
export const RECON_CATEGORIES = [
  'matched',
  'refund_matched',
  'amount_mismatch',
  'fee_mismatch',
  'missed_notify',
  'paid_after_close',
  'status_unknown',
  'missing_from_bill',
  'refund_outside_paydesk',
  'refund_mismatch',
  'refund_unresolved',
  'refund_failed_locally',
  'refund_missing_from_bill',
  'duplicate',
  'unknown_order',
  'other_app',
  'other_type',
] as const satisfies readonly ReconCategory[]

export const RECON_ACTIONS = ['settle', 'query', 'resume_refunds', 'accept'] as const satisfies readonly ReconAction[]

/** Stages the backend reports as the progress message ("load orders" is a "load"). */
export const RECON_STAGES = ['download', 'parse', 'load', 'match', 'store'] as const

export type Tone = 'success' | 'warning' | 'danger' | 'info' | 'primary'

/**
 * Colour by what finance staff must do: red = money differs or is unaccounted for, orange = the
 * platform's records lag Alipay's (usually fixable with one click), green = agreement, grey = not
 * the platform's business.
 */
// A Record over the generated union: a category the backend adds fails typecheck until it has a tone.
const TONES: Record<ReconCategory, Tone> = {
  matched: 'success',
  refund_matched: 'success',
  amount_mismatch: 'danger',
  fee_mismatch: 'warning',
  missed_notify: 'warning',
  paid_after_close: 'danger',
  status_unknown: 'warning',
  missing_from_bill: 'danger',
  refund_outside_paydesk: 'warning',
  refund_mismatch: 'danger',
  refund_unresolved: 'warning',
  refund_failed_locally: 'danger',
  refund_missing_from_bill: 'danger',
  duplicate: 'danger',
  unknown_order: 'danger',
  other_app: 'info',
  other_type: 'info',
}

function isCategory(c: string): c is ReconCategory {
  return (RECON_CATEGORIES as readonly string[]).includes(c)
}

/**
 * Agreement is counted, not stored row by row (a month can have a million matched payments):
 * these categories have totals but no rows to list.
 */
export function categoryListed(category: string): boolean {
  return category !== 'matched' && category !== 'refund_matched'
}

export function categoryTone(category: string): Tone {
  return isCategory(category) ? TONES[category] : 'info'
}

/** Position in the backend's order; an unknown (newer) category goes last rather than breaking. */
export function categoryRank(category: string): number {
  const i = (RECON_CATEGORIES as readonly string[]).indexOf(category)
  return i < 0 ? RECON_CATEGORIES.length : i
}

export function sortByCategory<T extends { category: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => categoryRank(a.category) - categoryRank(b.category))
}

/** The row-button test id: `recon-settle-7`, `recon-resume-7` (resume_refunds is shortened). */
export function actionTestId(action: string, rowId: number): string {
  return `recon-${action === 'resume_refunds' ? 'resume' : action}-${rowId}`
}

/**
 * A run the operator cancelled rejects with `conflict` "cancelled: nothing was stored". That is an
 * outcome, not a failure; "a reconciliation is already running" is the other conflict and is not.
 */
export function isCancelledRun(err: { code: string; message: string }): boolean {
  return err.code === 'conflict' && /^cancel/i.test(err.message.trim())
}

/**
 * One bar for the whole run: each stage is a fifth, filled by its own done/total. A stage that
 * does not know its total yet (total 0) counts as just started, so the bar never runs backwards
 * within a stage. Null when the stage is unknown (the view then shows an indeterminate bar).
 */
export function runPercent(message: string | null | undefined, done: number, total: number): number | null {
  const first = (message ?? '').trim().split(/\s+/)[0] ?? ''
  const index = (RECON_STAGES as readonly string[]).indexOf(first)
  if (index < 0) return null
  const part = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0
  return Math.round(((index + part) / RECON_STAGES.length) * 100)
}

export const categoryLabelKey = (category: string) => `recon.category.${category}.label`
export const categoryHintKey = (category: string) => `recon.category.${category}.hint`
export const actionLabelKey = (action: string) => `recon.action.${action}`

/** i18n key of a progress message, or null when the backend sent a stage this UI does not know. */
export function stageKey(message: string | null | undefined): string | null {
  const first = (message ?? '').trim().split(/\s+/)[0] ?? ''
  return (RECON_STAGES as readonly string[]).includes(first) ? `recon.stage.${first}` : null
}

/** Decimal money string → integer fen. Anything that is not money counts as 0 in a chart. */
export function toFen(value: string | null | undefined): bigint {
  return parseCents(value) ?? 0n
}

/** bill − order when both sides are known ("1579.00", "1500.00" → "79.00"); null otherwise. */
export function rowDifference(bill: string | null | undefined, order: string | null | undefined): string | null {
  if (bill == null || order == null) return null
  return subtractMoney(bill, order)
}

/** The one action a row offers: its suggested action, and only while it is open. */
export function rowAction<A extends string>(row: { open: boolean; suggested: A | null }): A | null {
  return row.open ? row.suggested : null
}

/**
 * Accept, besides the suggested action, on any open row whose suggestion is something else: a
 * query (amount mismatch, missing from the bill) only informs, and a settle Alipay refuses leaves
 * the row open; finance closes such a row with a note once they have looked.
 */
export function acceptAlso(row: { open: boolean; suggested: string | null }): boolean {
  return row.open && row.suggested !== 'accept'
}

/** Replaces the row with the same id (an action's answer) and keeps the order of the rest. */
export function replaceRow<T extends { id: number }>(rows: readonly T[], row: T): T[] {
  return rows.map((r) => (r.id === row.id ? row : r))
}

export type PeriodKind = 'day' | 'month'

export function periodKind(period: string): PeriodKind {
  return /^\d{4}-\d{2}$/.test(period.trim()) ? 'month' : 'day'
}

export function exportFileName(period: string, runId: number): string {
  return `reconcile-${period}-run${runId}.csv`
}

export function shortHash(hash: string | null | undefined, length = 12): string {
  if (!hash) return '—'
  return hash.length > length ? `${hash.slice(0, length)}…` : hash
}

/** "2.1 KB" etc.; bytes are a count, not money, so plain numbers are fine here. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`
}

/** The previous run of the same period (runs are newest first), for "compare with previous". */
export function previousRun<T extends { run_id: number; period: string }>(runs: readonly T[], current: { run_id: number; period: string }): T | null {
  let best: T | null = null
  for (const r of runs) {
    if (r.period === current.period && r.run_id < current.run_id && (best === null || r.run_id > best.run_id)) best = r
  }
  return best
}

// ---------------------------------------------------------------------------------------------
// Daily chart

export interface ChartDayInput {
  day: string | null
  payments: number
  received: string
  refunds: number
  refunded: string
  fees: string
  net: string
}

export interface ChartSlot<D extends ChartDayInput = ChartDayInput> {
  day: string
  /** The report's numbers for the day; null for a day of the month without bill rows. */
  data: D | null
  received: bigint
  refunded: bigint
  net: bigint
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const MONTH_RE = /^(\d{4})-(\d{2})$/

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

/**
 * One slot per calendar day: every day of a month period (a quiet day is a gap, not a missing
 * column), the day itself for a day period, plus any day the report has outside the period.
 */
export function chartSlots<D extends ChartDayInput>(period: string, days: readonly D[]): ChartSlot<D>[] {
  const byDay = new Map<string, D>()
  for (const d of days) if (d.day) byDay.set(d.day, d)
  const all = new Set<string>(byDay.keys())
  const month = MONTH_RE.exec(period.trim())
  if (month) {
    const y = Number(month[1])
    const m = Number(month[2])
    if (m >= 1 && m <= 12) {
      for (let d = 1; d <= daysInMonth(y, m); d++) all.add(`${month[1]}-${month[2]}-${String(d).padStart(2, '0')}`)
    }
  } else if (DATE_RE.test(period.trim())) {
    all.add(period.trim())
  }
  return [...all].sort().map((day) => {
    const data = byDay.get(day) ?? null
    return {
      day,
      data,
      received: toFen(data?.received),
      refunded: toFen(data?.refunded),
      net: toFen(data?.net),
    }
  })
}

export interface ChartScale {
  /** Axis top and bottom in fen; bottom ≤ 0 ≤ top, both multiples of step. */
  top: bigint
  bottom: bigint
  step: bigint
  /** Tick values from bottom to top. */
  ticks: bigint[]
}

/** The smallest 1·2·5×10ⁿ fen step that covers `range` in at most `target` steps. */
export function niceStep(range: bigint, target: number): bigint {
  const t = BigInt(Math.max(1, Math.floor(target)))
  const raw = range <= 0n ? 1n : (range + t - 1n) / t
  for (let pow = 1n; ; pow *= 10n) {
    for (const m of [1n, 2n, 5n]) {
      if (m * pow >= raw) return m * pow
    }
  }
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return a <= 0n ? 0n : (a + b - 1n) / b
}

/** Axis from the highest and lowest values (fen); zero is always on the axis. */
export function chartScale(values: readonly bigint[], target = 4): ChartScale {
  let hi = 0n
  let lo = 0n
  for (const v of values) {
    if (v > hi) hi = v
    if (v < lo) lo = v
  }
  if (hi === 0n && lo === 0n) {
    // Nothing to draw: a ¥0–1 axis still shows where zero is.
    return { top: 100n, bottom: 0n, step: 100n, ticks: [0n, 100n] }
  }
  const step = niceStep(hi - lo, target)
  const top = ceilDiv(hi, step) * step
  const bottom = -ceilDiv(-lo, step) * step
  const ticks: bigint[] = []
  for (let v = bottom; v <= top; v += step) ticks.push(v)
  return { top, bottom, step, ticks }
}

/** Pixel offset from the plot's top for an amount in fen (integer maths to 1/1000 px). */
export function scaleY(fen: bigint, scale: ChartScale, height: number): number {
  const span = scale.top - scale.bottom
  if (span <= 0n) return height
  const clamped = fen > scale.top ? scale.top : fen < scale.bottom ? scale.bottom : fen
  return Number(((scale.top - clamped) * BigInt(Math.round(height * 1000))) / span) / 1000
}

/** A y-axis label: whole yuan when the step is whole yuan ("1,000"), otherwise with fen ("0.50"). */
export function tickLabel(fen: bigint, step: bigint): string {
  const text = formatMoney(centsToString(fen))
  return step % 100n === 0n ? text.replace(/\.00$/, '') : text
}

/** Shows every k-th x label so that labels keep at least `minGap` px between them. */
export function labelEvery(slots: number, slotWidth: number, minGap = 26): number {
  if (slots <= 1 || slotWidth >= minGap) return 1
  return Math.ceil(minGap / Math.max(1, slotWidth))
}

/** "24" for a day of a month chart, the full date when the chart is a single day. */
export function dayLabel(day: string, single: boolean): string {
  if (single) return day
  const m = DATE_RE.exec(day)
  return m ? String(Number(m[3])) : day
}
