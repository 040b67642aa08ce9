import { describe, expect, it } from 'vitest'
import type { RevenueRow } from '../bindings'
import { addDays, beijingToday, change, changeCount, courseRanking, presetRange, revenueFileName } from './revenue'

function row(key: string, net: string): RevenueRow {
  return {
    key,
    label: `course ${key}`,
    course_id: Number(key),
    first_day: null,
    last_day: null,
    orders: 1,
    payments: net,
    refunds: '0.00',
    refund_count: 0,
    net,
    average_order: net,
    credits: 0,
    credit_discount: '0.00',
    coupon_discount: '0.00',
  }
}

describe('revenue helpers', () => {
  it('takes today from Beijing, not from the PC', () => {
    // 2026-11-30 17:00 UTC is already 1 December in Beijing.
    expect(beijingToday(new Date(Date.UTC(2026, 10, 30, 17, 0)))).toBe('2026-12-01')
    expect(beijingToday(new Date(Date.UTC(2026, 10, 30, 15, 59)))).toBe('2026-11-30')
  })

  it('turns presets into day ranges', () => {
    expect(presetRange('yesterday', '2026-12-01')).toEqual(['2026-11-30', '2026-11-30'])
    expect(presetRange('last7', '2026-12-01')).toEqual(['2026-11-24', '2026-11-30'])
    expect(presetRange('thisMonth', '2026-12-15')).toEqual(['2026-12-01', '2026-12-15'])
    expect(presetRange('lastMonth', '2026-03-10')).toEqual(['2026-02-01', '2026-02-28'])
    expect(presetRange('lastMonth', '2026-01-10')).toEqual(['2025-12-01', '2025-12-31'])
    expect(addDays('2026-02-28', 1)).toBe('2026-03-01')
  })

  it('computes change on integer fen', () => {
    expect(change('112.50', '100.00')).toEqual({ text: '+12.5%', direction: 'up' })
    expect(change('0.10', '0.30')).toEqual({ text: '−66.7%', direction: 'down' })
    expect(change('5.00', '0.00')).toEqual({ text: null, direction: 'up' })
    expect(change('100.00', '100.00')).toEqual({ text: '0.0%', direction: 'flat' })
    // 0.1 + 0.2 style amounts stay exact: 0.30 vs 0.30 is flat.
    expect(change('0.30', '0.30').direction).toBe('flat')
    expect(changeCount(3, 2).text).toBe('+50.0%')
  })

  it('ranks courses by net with widths relative to the best', () => {
    const r = courseRanking([row('1', '50.00'), row('2', '200.00'), row('3', '-5.00'), row('4', '100.00')], 3)
    expect(r.map((b) => b.row.key)).toEqual(['2', '4', '1'])
    expect(r.map((b) => b.width)).toEqual([100, 50, 25])
  })

  it('names export files after the period', () => {
    expect(revenueFileName('2026-11-01', '2026-11-30', 'day')).toBe('revenue-2026-11-01-2026-11-30-day.xlsx')
    expect(revenueFileName('2026-11-30', '2026-11-30', 'course', 'csv')).toBe('revenue-2026-11-30-course.csv')
  })
})
