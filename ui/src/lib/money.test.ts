import { describe, expect, it } from 'vitest'
import { compareMoney, formatMoney, normaliseMoney, parseCents, subtractMoney } from './money'

describe('formatMoney', () => {
  it('groups thousands and keeps the backend digits exactly', () => {
    expect(formatMoney('1579.00')).toBe('1,579.00')
    expect(formatMoney('1234567.89', '¥')).toBe('¥1,234,567.89')
    expect(formatMoney('999.99')).toBe('999.99')
    expect(formatMoney('1000')).toBe('1,000.00')
    expect(formatMoney('0.1')).toBe('0.10')
  })

  it('does not round or lose precision on amounts beyond float range', () => {
    // 2^53 + 1 cannot be represented as a double; the string must survive untouched.
    expect(formatMoney('9007199254740993.07')).toBe('9,007,199,254,740,993.07')
    expect(formatMoney('0.105')).toBe('0.105')
    expect(formatMoney('0.29')).toBe('0.29')
  })

  it('puts the sign before the currency symbol', () => {
    expect(formatMoney('-1234.50', '¥')).toBe('-¥1,234.50')
  })

  it('shows a dash for missing values and passes unknown text through', () => {
    expect(formatMoney(null)).toBe('—')
    expect(formatMoney('')).toBe('—')
    expect(formatMoney('n/a')).toBe('n/a')
  })
})

describe('parsing and arithmetic in cents', () => {
  it('accepts what staff type', () => {
    expect(parseCents('12')).toBe(1200n)
    expect(parseCents(' 12.5 ')).toBe(1250n)
    expect(parseCents('¥1,579.00')).toBe(157900n)
    expect(parseCents('-0.01')).toBe(-1n)
  })

  it('rejects more than two decimals and non-numbers', () => {
    expect(parseCents('1.234')).toBeNull()
    expect(parseCents('1e3')).toBeNull()
    expect(parseCents('abc')).toBeNull()
    expect(parseCents('')).toBeNull()
    expect(parseCents('.5')).toBeNull()
  })

  it('normalises to two decimals', () => {
    expect(normaliseMoney('12.5')).toBe('12.50')
    expect(normaliseMoney('007')).toBe('7.00')
    expect(normaliseMoney('x')).toBeNull()
  })

  it('subtracts exactly where floats drift', () => {
    // 0.3 - 0.1 in floats is 0.19999999999999998
    expect(subtractMoney('0.30', '0.10')).toBe('0.20')
    expect(subtractMoney('1579.00', '1579.01')).toBe('-0.01')
  })

  it('compares as numbers, not strings', () => {
    expect(compareMoney('9.00', '10.00')).toBe(-1)
    expect(compareMoney('10', '10.00')).toBe(0)
    expect(compareMoney('100.01', '100')).toBe(1)
    expect(compareMoney('x', '1')).toBeNull()
  })
})
