import { describe, expect, it } from 'vitest'
import { checkRefund, refundableAmount } from './refund'

describe('refunds', () => {
  it('computes what is left exactly', () => {
    expect(refundableAmount('1579.00', '0.00')).toBe('1579.00')
    expect(refundableAmount('0.30', '0.10')).toBe('0.20')
    expect(refundableAmount('10.00', '10.00')).toBe('0.00')
    expect(refundableAmount('10.00', '12.00')).toBe('0.00')
  })

  it('sends null for a full refund and the normalised amount for a partial one', () => {
    expect(checkRefund('full', '', '99.90')).toEqual({ ok: true, amount: null })
    expect(checkRefund('partial', '10.5', '99.90')).toEqual({ ok: true, amount: '10.50' })
    expect(checkRefund('partial', '99.90', '99.90')).toEqual({ ok: true, amount: '99.90' })
  })

  it('refuses zero, too much, bad text and fully refunded orders', () => {
    expect(checkRefund('partial', '0', '99.90')).toEqual({ ok: false, problem: 'bad_amount' })
    expect(checkRefund('partial', '99.91', '99.90')).toEqual({ ok: false, problem: 'bad_amount' })
    expect(checkRefund('partial', '1.001', '99.90')).toEqual({ ok: false, problem: 'bad_amount' })
    expect(checkRefund('full', '', '0.00')).toEqual({ ok: false, problem: 'nothing_left' })
  })
})
