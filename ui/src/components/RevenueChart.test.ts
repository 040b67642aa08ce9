// The revenue chart on the server renderer: a slot per row, payments above the axis, refunds
// below it, exact amounts in the tooltips.
import { describe, expect, it } from 'vitest'
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createI18n } from 'vue-i18n'
import RevenueChart from './RevenueChart.vue'
import zh from '../i18n/zh'
import en from '../i18n/en'
import type { RevenueRow } from '../bindings'

function row(day: string, payments: string, refunds: string): RevenueRow {
  const net = (Number(payments.replace('.', '')) - Number(refunds.replace('.', ''))).toString().padStart(3, '0')
  return {
    key: day,
    label: day,
    course_id: null,
    first_day: day,
    last_day: day,
    orders: 3,
    payments,
    refunds,
    refund_count: refunds === '0.00' ? 0 : 1,
    net: `${net.slice(0, -2)}.${net.slice(-2)}`,
    average_order: '0.00',
    credits: 0,
    credit_discount: '0.00',
    coupon_discount: '0.00',
  }
}

async function render(rows: RevenueRow[]): Promise<string> {
  const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zh, en } })
  return renderToString(createSSRApp(RevenueChart, { rows }).use(i18n))
}

const count = (html: string, needle: string) => html.split(needle).length - 1

describe('RevenueChart', () => {
  it('draws payments up and refunds down, one slot per row', async () => {
    const html = await render([row('2026-11-23', '1579.00', '0.00'), row('2026-11-24', '2398.00', '399.50'), row('2026-11-25', '0.00', '0.00')])
    expect(count(html, 'data-testid="revenue-chart-slot"')).toBe(3)
    expect(count(html, 'class="bar paid"')).toBe(2)
    expect(count(html, 'class="bar refunded"')).toBe(1)
    expect(html).toContain('¥2,398.00')
    expect(html).toContain('¥399.50')
    expect(html).toContain('11-24')
  })
})
