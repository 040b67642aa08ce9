import { describe, expect, it } from 'vitest'
import { confirmArgument, confirmationMatches, confirmationRequired, expectedConfirmation } from './confirm'

const ORDER = '202405010000004200000007'

describe('confirmation rule', () => {
  it('is required on production and whenever the profile is unknown', () => {
    expect(confirmationRequired('production')).toBe(true)
    expect(confirmationRequired(null)).toBe(true)
    expect(confirmationRequired(undefined)).toBe(true)
    expect(confirmationRequired('sandbox')).toBe(false)
    expect(confirmationRequired('simulator')).toBe(false)
  })

  it('expects the order number, or EXPIRE for bulk expire', () => {
    expect(expectedConfirmation('refund', ` ${ORDER} `)).toBe(ORDER)
    expect(expectedConfirmation('settle', ORDER)).toBe(ORDER)
    expect(expectedConfirmation('expire', '')).toBe('EXPIRE')
  })

  it('accepts only the exact text', () => {
    expect(confirmationMatches(ORDER, ORDER)).toBe(true)
    expect(confirmationMatches(`  ${ORDER}\n`, ORDER)).toBe(true)
    expect(confirmationMatches(ORDER.slice(0, -1), ORDER)).toBe(false)
    expect(confirmationMatches('expire', 'EXPIRE')).toBe(false)
    expect(confirmationMatches('', '')).toBe(false)
  })

  it('passes the typed number as `confirm` on production only', () => {
    expect(confirmArgument('production', 'refund', ORDER, ORDER)).toEqual({ ok: true, confirm: ORDER })
    expect(confirmArgument('production', 'refund', ORDER, '123')).toEqual({ ok: false })
    expect(confirmArgument('production', 'refund', ORDER, null)).toEqual({ ok: false })
    expect(confirmArgument('production', 'expire', '', 'EXPIRE')).toEqual({ ok: true, confirm: 'EXPIRE' })
    expect(confirmArgument('sandbox', 'refund', ORDER, null)).toEqual({ ok: true, confirm: null })
  })
})
