import { describe, expect, it } from 'vitest'
import { call, normaliseError } from './ipc'
import { ordersList } from './commands'

describe('ipc outside the app', () => {
  it('rejects with not_in_paydesk instead of crashing', async () => {
    await expect(call('app_status')).rejects.toMatchObject({ code: 'not_in_paydesk' })
    await expect(
      ordersList({ status: [], from: null, to: null, user: null, number_prefix: null, min_amount: null, max_amount: null, refund: 'any', paid_from: null, paid_to: null }, { after: null, limit: 10 }),
    ).rejects.toMatchObject({ code: 'not_in_paydesk' })
  })

  it('keeps backend codes as they are', () => {
    expect(normaliseError({ code: 'conflict', message: 'already refunded' })).toEqual({ code: 'conflict', message: 'already refunded' })
  })
})
