import { describe, expect, it } from 'vitest'
import { fullRefundEffect, policyChanged } from './policy'
import { confirmArgument, expectedConfirmation } from './confirm'

const p = (revoke: boolean, credits: boolean) => ({ revoke_grants_on_full_refund: revoke, return_credits_on_full_refund: credits })

describe('refund policy', () => {
  it('names what a full refund takes back for each combination', () => {
    expect(fullRefundEffect(p(true, true))).toBe('both')
    expect(fullRefundEffect(p(true, false))).toBe('grants')
    expect(fullRefundEffect(p(false, true))).toBe('credits')
    expect(fullRefundEffect(p(false, false))).toBe('nothing')
  })

  it('is changed when a switch differs, or when the stored one was unreadable', () => {
    expect(policyChanged(p(true, true), p(true, true))).toBe(false)
    expect(policyChanged(p(true, true), p(false, true))).toBe(true)
    expect(policyChanged(p(true, true), p(true, false))).toBe(true)
    expect(policyChanged(null, p(true, true))).toBe(true)
  })

  it('wants the word POLICY typed on production, whatever the subject', () => {
    expect(expectedConfirmation('policy', '')).toBe('POLICY')
    expect(confirmArgument('production', 'policy', '', 'POLICY')).toEqual({ ok: true, confirm: 'POLICY' })
    expect(confirmArgument('production', 'policy', '', 'policy')).toEqual({ ok: false })
    expect(confirmArgument('sandbox', 'policy', '', null)).toEqual({ ok: true, confirm: null })
  })
})
