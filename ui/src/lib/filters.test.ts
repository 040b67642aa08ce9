import { describe, expect, it } from 'vitest'
import { activeFilterCount, emptyFilterForm, interpretSearch, toOrderFilter } from './filters'

describe('toOrderFilter', () => {
  it('maps an empty form to "everything"', () => {
    expect(toOrderFilter(emptyFilterForm())).toEqual({
      filter: { status: [], from: null, to: null, user: null, number_prefix: null, min_amount: null, max_amount: null, refund: 'any', paid_from: null, paid_to: null },
      problems: [],
    })
  })

  it('maps every field', () => {
    const form = {
      ...emptyFilterForm(),
      statuses: [3, 1, 1],
      dates: ['2024-05-01', '2024-05-31'] as [string, string],
      user: ' 13800138000 ',
      numberPrefix: '20240501',
      minAmount: '10',
      maxAmount: '1,000.5',
      refund: 'partial' as const,
      paidDates: ['2024-05-10', '2024-05-12'] as [string, string],
    }
    expect(toOrderFilter(form)).toEqual({
      filter: {
        status: [1, 3],
        from: '2024-05-01',
        to: '2024-05-31',
        user: '13800138000',
        number_prefix: '20240501',
        min_amount: '10.00',
        max_amount: '1000.50',
        refund: 'partial',
        paid_from: '2024-05-10',
        paid_to: '2024-05-12',
      },
      problems: [],
    })
  })

  it('drops statuses outside 0..3', () => {
    expect(toOrderFilter({ ...emptyFilterForm(), statuses: [0, 4, -1, 2] }).filter.status).toEqual([0, 2])
  })

  it('reports bad amounts and inverted ranges instead of querying', () => {
    expect(toOrderFilter({ ...emptyFilterForm(), minAmount: '1.234' }).problems).toEqual(['min_amount'])
    expect(toOrderFilter({ ...emptyFilterForm(), maxAmount: 'abc' }).problems).toEqual(['max_amount'])
    expect(toOrderFilter({ ...emptyFilterForm(), minAmount: '100', maxAmount: '99.99' }).problems).toEqual(['amount_range'])
    // Compared as money, not as strings: "9" < "10".
    expect(toOrderFilter({ ...emptyFilterForm(), minAmount: '9', maxAmount: '10' }).problems).toEqual([])
    expect(toOrderFilter({ ...emptyFilterForm(), dates: ['2024-06-02', '2024-06-01'] }).problems).toEqual(['date_range'])
    expect(toOrderFilter({ ...emptyFilterForm(), dates: ['2024/06/01', '2024-06-02'] }).problems).toEqual(['date'])
    expect(toOrderFilter({ ...emptyFilterForm(), numberPrefix: '2024 05' }).problems).toEqual(['number_prefix'])
    expect(toOrderFilter({ ...emptyFilterForm(), paidDates: ['2024-06-02', '2024-06-01'] }).problems).toEqual(['paid_range'])
    expect(toOrderFilter({ ...emptyFilterForm(), paidDates: ['2024-06', '2024-06-01'] }).problems).toEqual(['paid_date'])
  })

  it('lets the search box fill user or number prefix, explicit fields winning', () => {
    expect(toOrderFilter({ ...emptyFilterForm(), search: '202405010000000100000001' }).filter).toMatchObject({
      number_prefix: '202405010000000100000001',
      user: null,
    })
    expect(toOrderFilter({ ...emptyFilterForm(), search: 'alice', user: 'bob' }).filter.user).toBe('bob')
    expect(toOrderFilter({ ...emptyFilterForm(), search: '2024', numberPrefix: '2023' }).filter.number_prefix).toBe('2023')
  })
})

describe('interpretSearch', () => {
  it('tells order numbers, mobiles, ids and names apart', () => {
    expect(interpretSearch('20240501')).toEqual({ user: null, number_prefix: '20240501' })
    expect(interpretSearch('13800138000')).toEqual({ user: '13800138000', number_prefix: null })
    expect(interpretSearch('42')).toEqual({ user: '42', number_prefix: null })
    expect(interpretSearch('张三')).toEqual({ user: '张三', number_prefix: null })
    expect(interpretSearch('   ')).toEqual({ user: null, number_prefix: null })
  })
})

describe('activeFilterCount', () => {
  it('counts the amount range once', () => {
    expect(activeFilterCount(emptyFilterForm())).toBe(0)
    expect(activeFilterCount({ ...emptyFilterForm(), statuses: [0], minAmount: '1', maxAmount: '2', refund: 'full' })).toBe(3)
  })
})
