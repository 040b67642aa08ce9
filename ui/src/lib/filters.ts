import type { OrderFilter, RefundFilterState } from '../bindings'
import { compareMoney, normaliseMoney } from './money'

/** What the Orders filter bar holds; `toOrderFilter` turns it into the backend's OrderFilter. */
export interface OrderFilterForm {
  statuses: number[]
  dates: [string, string] | null
  /** Paid between these days (inclusive), Beijing. */
  paidDates: [string, string] | null
  user: string
  numberPrefix: string
  minAmount: string
  maxAmount: string
  refund: RefundFilterState
  search: string
}

export type FilterProblem = 'min_amount' | 'max_amount' | 'amount_range' | 'date' | 'date_range' | 'paid_date' | 'paid_range' | 'number_prefix'

export const ORDER_STATUSES = [0, 1, 2, 3] as const

export function emptyFilterForm(): OrderFilterForm {
  return { statuses: [], dates: null, paidDates: null, user: '', numberPrefix: '', minAmount: '', maxAmount: '', refund: 'any', search: '' }
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/
const NUMBER_PREFIX_RE = /^[0-9A-Za-z_-]+$/

function blankToNull(s: string): string | null {
  const t = s.trim()
  return t === '' ? null : t
}

/**
 * The search box takes whatever staff paste: an order number (or its first digits), a mobile, a
 * user id or a username. Order numbers are 24 digits (YYYYMMDD + user id + counter); an 11-digit
 * number starting with 1 is a mainland mobile; other short numbers are user ids.
 */
export function interpretSearch(text: string): { user: string | null; number_prefix: string | null } {
  const t = text.trim()
  if (t === '') return { user: null, number_prefix: null }
  if (/^\d+$/.test(t)) {
    if (t.length === 11 && t.startsWith('1')) return { user: t, number_prefix: null }
    if (t.length >= 8) return { user: null, number_prefix: t }
  }
  return { user: t, number_prefix: null }
}

export function toOrderFilter(form: OrderFilterForm): { filter: OrderFilter; problems: FilterProblem[] } {
  const problems: FilterProblem[] = []
  const status = [...new Set(form.statuses)].filter((s) => (ORDER_STATUSES as readonly number[]).includes(s)).sort()

  let from: string | null = null
  let to: string | null = null
  if (form.dates) {
    ;[from, to] = form.dates
    if (!DATE_RE.test(from) || !DATE_RE.test(to)) problems.push('date')
    else if (from > to) problems.push('date_range') // ISO dates order as strings
  }

  let paid_from: string | null = null
  let paid_to: string | null = null
  if (form.paidDates) {
    ;[paid_from, paid_to] = form.paidDates
    if (!DATE_RE.test(paid_from) || !DATE_RE.test(paid_to)) problems.push('paid_date')
    else if (paid_from > paid_to) problems.push('paid_range')
  }

  const searched = interpretSearch(form.search)
  // An explicit field wins over what the search box guessed.
  const user = blankToNull(form.user) ?? searched.user
  const number_prefix = blankToNull(form.numberPrefix) ?? searched.number_prefix
  if (number_prefix !== null && !NUMBER_PREFIX_RE.test(number_prefix)) problems.push('number_prefix')

  let min_amount: string | null = null
  let max_amount: string | null = null
  if (blankToNull(form.minAmount) !== null) {
    min_amount = normaliseMoney(form.minAmount)
    if (min_amount === null) problems.push('min_amount')
  }
  if (blankToNull(form.maxAmount) !== null) {
    max_amount = normaliseMoney(form.maxAmount)
    if (max_amount === null) problems.push('max_amount')
  }
  if (min_amount !== null && max_amount !== null && compareMoney(min_amount, max_amount) === 1) {
    problems.push('amount_range')
  }

  return {
    filter: { status, from, to, user, number_prefix, min_amount, max_amount, refund: form.refund, paid_from, paid_to },
    problems,
  }
}

/** How many filters narrow the list (shown on the filter toggle). */
export function activeFilterCount(form: OrderFilterForm): number {
  let n = 0
  if (form.statuses.length) n++
  if (form.dates) n++
  if (form.paidDates) n++
  if (form.user.trim()) n++
  if (form.numberPrefix.trim()) n++
  if (form.minAmount.trim() || form.maxAmount.trim()) n++
  if (form.refund !== 'any') n++
  return n
}
