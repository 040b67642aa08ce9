// Pure helpers of the Revenue (收入) view. Amounts stay decimal strings or integer fen (BigInt):
// a percentage of change and a ranking bar's width are the only numbers computed from them, and
// they are display, never money.
import type { RevenueRow } from '../bindings'
import { parseCents } from './money'

export type Preset = 'yesterday' | 'last7' | 'thisMonth' | 'lastMonth' | 'last30'
export const PRESETS: readonly Preset[] = ['yesterday', 'last7', 'thisMonth', 'lastMonth', 'last30']

/**
 * Today in Beijing (the platform's days), as YYYY-MM-DD, whatever the PC's time zone. China keeps
 * UTC+8 all year, so plain arithmetic is exact — and needs no time-zone database, which a
 * webview on a minimal system may lack (Intl then throws on 'Asia/Shanghai').
 */
export function beijingToday(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10)
}

function parseDay(day: string): Date {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y!, m! - 1, d!))
}

function fmtDay(d: Date): string {
  return d.toISOString().slice(0, 10)
}

export function addDays(day: string, n: number): string {
  const d = parseDay(day)
  d.setUTCDate(d.getUTCDate() + n)
  return fmtDay(d)
}

/** The [from, to] days of a preset, relative to `today` (Beijing). */
export function presetRange(preset: Preset, today: string): [string, string] {
  const d = parseDay(today)
  switch (preset) {
    case 'yesterday': {
      const y = addDays(today, -1)
      return [y, y]
    }
    case 'last7':
      return [addDays(today, -7), addDays(today, -1)]
    case 'last30':
      return [addDays(today, -30), addDays(today, -1)]
    case 'thisMonth':
      return [fmtDay(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1))), today]
    case 'lastMonth': {
      const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1))
      const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 0))
      return [fmtDay(first), fmtDay(last)]
    }
  }
}

export interface Change {
  /** "+12.5%", "−3.0%", "0.0%"; null when the previous period had nothing to compare with. */
  text: string | null
  direction: 'up' | 'down' | 'flat'
}

/** This period against the previous one, in tenths of a percent computed on integer fen. */
export function change(current: string, previous: string): Change {
  const cur = parseCents(current) ?? 0n
  const prev = parseCents(previous) ?? 0n
  const direction = cur > prev ? 'up' : cur < prev ? 'down' : 'flat'
  if (prev === 0n) return { text: null, direction }
  const diff = cur - prev
  const base = prev < 0n ? -prev : prev
  // Tenths of a percent, rounded half away from zero.
  const abs = diff < 0n ? -diff : diff
  const tenths = (abs * 2000n + base) / (2n * base)
  const sign = diff > 0n ? '+' : diff < 0n ? '−' : ''
  return { text: `${sign}${tenths / 10n}.${tenths % 10n}%`, direction }
}

/** Same for counts (orders). */
export function changeCount(current: number, previous: number): Change {
  return change(`${current}.00`, `${previous}.00`)
}

export interface RankBar {
  row: RevenueRow
  /** 0–100: the bar's share of the widest (the best course's net). */
  width: number
}

/** The `n` courses with the most net income, with bar widths relative to the first. */
export function courseRanking(rows: readonly RevenueRow[], n = 10): RankBar[] {
  const sorted = [...rows].sort((a, b) => {
    const x = parseCents(a.net) ?? 0n
    const y = parseCents(b.net) ?? 0n
    return x === y ? 0 : x > y ? -1 : 1
  })
  const top = sorted.slice(0, n)
  const max = top.reduce((m, r) => {
    const v = parseCents(r.net) ?? 0n
    return v > m ? v : m
  }, 0n)
  return top.map((row) => {
    const v = parseCents(row.net) ?? 0n
    // Per mille on integers, then a number for CSS.
    const permille = max > 0n && v > 0n ? Number((v * 1000n) / max) : 0
    return { row, width: permille / 10 }
  })
}

/** `revenue-2026-11-01-2026-11-30-day.xlsx` */
export function revenueFileName(from: string, to: string, by: string, ext: 'xlsx' | 'csv' = 'xlsx'): string {
  return from === to ? `revenue-${from}-${by}.${ext}` : `revenue-${from}-${to}-${by}.${ext}`
}
