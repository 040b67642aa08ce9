import { describe, expect, it } from 'vitest'
import {
  RECON_ACTIONS,
  actionTestId,
  isCancelledRun,
  runPercent,
  RECON_CATEGORIES,
  categoryRank,
  categoryTone,
  chartScale,
  chartSlots,
  dayLabel,
  exportFileName,
  labelEvery,
  niceStep,
  periodKind,
  previousRun,
  replaceRow,
  rowAction,
  acceptAlso,
  categoryListed,
  rowDifference,
  scaleY,
  shortHash,
  sortByCategory,
  stageKey,
  tickLabel,
  toFen,
} from './recon'
import zh from '../i18n/zh'
import en from '../i18n/en'

const day = (d: string | null, received: string, refunded = '0.00', net = received) => ({
  day: d,
  payments: 1,
  received,
  refunds: 0,
  refunded,
  fees: '0.00',
  net,
})

describe('fen conversion', () => {
  it('reads decimal strings as exact integer fen', () => {
    expect(toFen('1579.00')).toBe(157900n)
    expect(toFen('-10.00')).toBe(-1000n)
    expect(toFen('0.29')).toBe(29n)
    // Beyond 2^53 a float would already be wrong.
    expect(toFen('90071992547409.93')).toBe(9007199254740993n)
  })

  it('counts missing or malformed amounts as zero in a chart', () => {
    expect(toFen(null)).toBe(0n)
    expect(toFen(undefined)).toBe(0n)
    expect(toFen('n/a')).toBe(0n)
  })
})

describe('difference', () => {
  it('is bill minus order, exactly', () => {
    expect(rowDifference('1579.00', '1500.00')).toBe('79.00')
    expect(rowDifference('0.10', '0.30')).toBe('-0.20')
    expect(rowDifference('12.00', '12.00')).toBe('0.00')
  })

  it('is absent when either side is', () => {
    expect(rowDifference(null, '1.00')).toBeNull()
    expect(rowDifference('1.00', null)).toBeNull()
  })
})

describe('categories', () => {
  it('sort in the backend order, unknown ones last', () => {
    const sorted = sortByCategory([{ category: 'other_type' }, { category: 'brand_new' }, { category: 'missed_notify' }, { category: 'matched' }])
    expect(sorted.map((c) => c.category)).toEqual(['matched', 'missed_notify', 'other_type', 'brand_new'])
    expect(categoryRank('matched')).toBe(0)
    expect(categoryRank('other_type')).toBe(16)
  })

  it('have a tone; agreement is green and other apps grey', () => {
    expect(categoryTone('matched')).toBe('success')
    expect(categoryTone('amount_mismatch')).toBe('danger')
    expect(categoryTone('missed_notify')).toBe('warning')
    expect(categoryTone('other_app')).toBe('info')
    expect(categoryTone('brand_new')).toBe('info')
  })

  it('have a label and an explanation in both languages, and so do the actions', () => {
    expect(RECON_CATEGORIES).toHaveLength(17)
    for (const cat of [zh, en]) {
      for (const c of RECON_CATEGORIES) {
        expect(cat.recon.category[c].label, c).toBeTruthy()
        expect(cat.recon.category[c].hint, c).toBeTruthy()
      }
      for (const a of RECON_ACTIONS) expect(cat.recon.action[a], a).toBeTruthy()
    }
  })
})

describe('rows', () => {
  it('offer the suggested action only while open', () => {
    expect(rowAction({ open: true, suggested: 'settle' })).toBe('settle')
    expect(rowAction({ open: false, suggested: 'settle' })).toBeNull()
    expect(rowAction({ open: true, suggested: null })).toBeNull()
  })

  it('exist for every category but agreement, which is only counted', () => {
    expect(categoryListed('matched')).toBe(false)
    expect(categoryListed('refund_matched')).toBe(false)
    expect(categoryListed('missed_notify')).toBe(true)
    expect(categoryListed('other_app')).toBe(true)
  })

  it('can be accepted with a note whatever was suggested, while open', () => {
    expect(acceptAlso({ open: true, suggested: 'query' })).toBe(true)
    expect(acceptAlso({ open: true, suggested: 'settle' })).toBe(true)
    expect(acceptAlso({ open: true, suggested: 'accept' })).toBe(false)
    expect(acceptAlso({ open: false, suggested: 'query' })).toBe(false)
  })

  it('are replaced in place after an action', () => {
    const rows = [
      { id: 1, open: true },
      { id: 2, open: true },
      { id: 3, open: true },
    ]
    expect(replaceRow(rows, { id: 2, open: false })).toEqual([
      { id: 1, open: true },
      { id: 2, open: false },
      { id: 3, open: true },
    ])
  })
})

describe('period and run helpers', () => {
  it('tell a day from a month', () => {
    expect(periodKind('2026-11-24')).toBe('day')
    expect(periodKind('2026-11')).toBe('month')
  })

  it('name the export', () => {
    expect(exportFileName('2026-11', 7)).toBe('reconcile-2026-11-run7.csv')
  })

  it('shorten a checksum', () => {
    expect(shortHash('0123456789abcdef0123')).toBe('0123456789ab…')
    expect(shortHash(null)).toBe('—')
  })

  it('find the previous run of the same period', () => {
    const runs = [
      { run_id: 9, period: '2026-11-24' },
      { run_id: 8, period: '2026-11' },
      { run_id: 5, period: '2026-11-24' },
      { run_id: 3, period: '2026-11-24' },
    ]
    expect(previousRun(runs, { run_id: 9, period: '2026-11-24' })?.run_id).toBe(5)
    expect(previousRun(runs, { run_id: 8, period: '2026-11' })).toBeNull()
  })

  it('put progress stages into words, first word decides', () => {
    expect(stageKey('download')).toBe('recon.stage.download')
    expect(stageKey('load orders')).toBe('recon.stage.load')
    expect(stageKey('something else')).toBeNull()
    expect(stageKey(null)).toBeNull()
  })
})

describe('chart slots', () => {
  it('have one slot for a day period', () => {
    const slots = chartSlots('2026-11-24', [day('2026-11-24', '1579.00')])
    expect(slots).toHaveLength(1)
    expect(slots[0]).toMatchObject({ day: '2026-11-24', received: 157900n })
  })

  it('fill every day of a month, quiet days as zero', () => {
    const slots = chartSlots('2026-12', [day('2026-12-03', '10.00', '-2.00', '8.00'), day(null, '10.00')])
    expect(slots).toHaveLength(31)
    expect(slots[0]).toMatchObject({ day: '2026-12-01', data: null, received: 0n })
    expect(slots[2]).toMatchObject({ day: '2026-12-03', received: 1000n, refunded: -200n, net: 800n })
    expect(chartSlots('2026-02', [])).toHaveLength(28)
    expect(chartSlots('2028-02', [])).toHaveLength(29)
  })
})

describe('chart scale', () => {
  it('steps in 1-2-5 fen', () => {
    expect(niceStep(1000n, 4)).toBe(500n)
    expect(niceStep(157900n, 4)).toBe(50000n)
    expect(niceStep(3n, 4)).toBe(1n)
    expect(niceStep(0n, 4)).toBe(1n)
  })

  it('keeps zero on the axis and covers refunds below it', () => {
    const s = chartScale([157900n, -1000n, 156900n])
    expect(s.step).toBe(50000n)
    expect(s.top).toBe(200000n)
    expect(s.bottom).toBe(-50000n)
    expect(s.ticks).toEqual([-50000n, 0n, 50000n, 100000n, 150000n, 200000n])
  })

  it('has an axis even when everything is zero', () => {
    const s = chartScale([0n, 0n])
    expect(s.top).toBe(100n)
    expect(s.bottom).toBe(0n)
  })

  it('maps fen to pixels without floats on the money', () => {
    const s = { top: 200000n, bottom: -50000n, step: 50000n, ticks: [] }
    expect(scaleY(200000n, s, 250)).toBe(0)
    expect(scaleY(0n, s, 250)).toBe(200)
    expect(scaleY(-50000n, s, 250)).toBe(250)
    expect(scaleY(157900n, s, 250)).toBeCloseTo(42.1, 3)
    // Outside the axis is clamped to it.
    expect(scaleY(10n ** 20n, s, 250)).toBe(0)
  })

  it('labels ticks in yuan, with fen only when the step needs them', () => {
    expect(tickLabel(150000n, 50000n)).toBe('1,500')
    expect(tickLabel(-50000n, 50000n)).toBe('-500')
    expect(tickLabel(50n, 50n)).toBe('0.50')
  })

  it('thins x labels when days are narrow', () => {
    expect(labelEvery(1, 800)).toBe(1)
    expect(labelEvery(31, 28)).toBe(1)
    expect(labelEvery(31, 12)).toBe(3)
    expect(dayLabel('2026-11-04', false)).toBe('4')
    expect(dayLabel('2026-11-04', true)).toBe('2026-11-04')
  })
})

describe('running', () => {
  it('tells a cancelled run from a real conflict', () => {
    expect(isCancelledRun({ code: 'conflict', message: 'cancelled: nothing was stored' })).toBe(true)
    expect(isCancelledRun({ code: 'conflict', message: 'a reconciliation is already running' })).toBe(false)
    expect(isCancelledRun({ code: 'gateway', message: 'cancelled' })).toBe(false)
  })

  it('moves one bar through the stages', () => {
    expect(runPercent('download', 0, 1)).toBe(0)
    expect(runPercent('parse', 0, 1)).toBe(20)
    expect(runPercent('load orders', 500, 0)).toBe(40)
    expect(runPercent('match', 50, 100)).toBe(70)
    expect(runPercent('store', 1, 1)).toBe(100)
    expect(runPercent('mystery', 1, 2)).toBeNull()
  })

  it('names row buttons as the E2E test expects', () => {
    expect(actionTestId('settle', 7)).toBe('recon-settle-7')
    expect(actionTestId('resume_refunds', 7)).toBe('recon-resume-7')
    expect(actionTestId('accept', 12)).toBe('recon-accept-12')
  })
})
