import { describe, expect, it, vi } from 'vitest'
import { createI18n } from 'vue-i18n'
import zh from './zh'
import en from './en'

function leaves(node: unknown, prefix = ''): string[] {
  if (typeof node === 'string') return [prefix]
  return Object.entries(node as Record<string, unknown>).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k))
}

describe('message catalogs', () => {
  it('have the same keys in both languages', () => {
    expect(leaves(en).sort()).toEqual(leaves(zh).sort())
  })

  it('compile every message without errors', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zh, en } })
    for (const locale of ['zh-CN', 'en'] as const) {
      i18n.global.locale.value = locale
      for (const key of leaves(zh)) {
        const out = i18n.global.t(key, { n: 1, number: 'N', amount: '1.00', expected: 'X', name: 'p', file: 'f', url: 'u', path: 'p' })
        expect(out, `${locale}:${key}`).not.toBe(key)
      }
    }
    expect(warn).not.toHaveBeenCalled()
    expect(error).not.toHaveBeenCalled()
    warn.mockRestore()
    error.mockRestore()
  })
})

describe('error kinds', () => {
  it('every kind core can send has a title and advice in both languages', async () => {
    const { ERROR_KINDS } = await import('../bindings')
    for (const kind of [...ERROR_KINDS, 'not_in_paydesk'] as const) {
      for (const [name, cat] of [['zh', zh], ['en', en]] as const) {
        const e = (cat.errors as Record<string, { title?: string; advice?: string }>)[kind]
        expect(e?.title, `${name}: errors.${kind}.title`).toBeTruthy()
        expect(e?.advice, `${name}: errors.${kind}.advice`).toBeTruthy()
      }
    }
  })
})
