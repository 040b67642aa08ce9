// Renders the chart on the server renderer (the test environment has no DOM) and checks the
// markup: one day group per report day, bars on the right side of the axis, exact amounts.
import { describe, expect, it } from 'vitest'
import { createSSRApp } from 'vue'
import { renderToString } from 'vue/server-renderer'
import { createI18n } from 'vue-i18n'
import DailyChart from './DailyChart.vue'
import zh from '../i18n/zh'
import en from '../i18n/en'
import type { ReconDay } from '../bindings'

function day(d: string, received: string, refunded: string, fees: string, net: string): ReconDay {
  return { day: d, payments: 2, received, refunds: refunded === '0.00' ? 0 : 1, refunded, fees, net }
}

async function render(period: string, days: ReconDay[]): Promise<string> {
  const i18n = createI18n({ legacy: false, locale: 'en', messages: { 'zh-CN': zh, en } })
  const app = createSSRApp(DailyChart, { period, days }).use(i18n)
  return renderToString(app)
}

const count = (html: string, needle: string) => html.split(needle).length - 1

describe('DailyChart', () => {
  it('draws a single day', async () => {
    const html = await render('2026-11-24', [day('2026-11-24', '1579.00', '-10.00', '-9.47', '1559.53')])
    expect(count(html, 'data-testid="recon-chart-day"')).toBe(1)
    expect(html).toContain('data-day="2026-11-24"')
    expect(count(html, 'class="bar received"')).toBe(1)
    expect(count(html, 'class="bar refunded"')).toBe(1)
    // Exact amounts in the native tooltip, formatted from the strings.
    expect(html).toContain('¥1,579.00')
    expect(html).toContain('-¥10.00')
    expect(html).toContain('¥1,559.53')
    // A lone day has a net dot, not a line.
    expect(count(html, 'class="net-dot"')).toBe(1)
    expect(html).not.toContain('class="net-line"')
  })

  it('draws 31 days of a month with every day on the axis', async () => {
    const days: ReconDay[] = []
    for (let d = 1; d <= 31; d++) {
      const dd = String(d).padStart(2, '0')
      days.push(day(`2026-12-${dd}`, `${d * 100}.00`, d % 5 === 0 ? `-${d}.50` : '0.00', '0.00', `${d * 100}.00`))
    }
    const html = await render('2026-12', days)
    expect(count(html, 'data-testid="recon-chart-day"')).toBe(31)
    expect(html).toContain('data-days="31"')
    expect(count(html, 'class="bar received"')).toBe(31)
    expect(count(html, 'class="bar refunded"')).toBe(6)
    expect(html).toContain('class="net-line"')
  })

  it('keeps quiet days of a month as axis slots without a day group', async () => {
    const html = await render('2026-11', [day('2026-11-03', '10.00', '0.00', '0.00', '10.00')])
    expect(html).toContain('data-days="30"')
    expect(count(html, 'data-testid="recon-chart-day"')).toBe(1)
  })
})
