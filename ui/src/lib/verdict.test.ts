import { describe, expect, it } from 'vitest'
import type { VerifyReport } from '../bindings'
import { canSettle, settleGate, verdictView } from './verdict'
import { describeError, ERROR_CODES } from './errors'
import zh from '../i18n/zh'
import en from '../i18n/en'

function report(over: Partial<VerifyReport> = {}): VerifyReport {
  return {
    index: 0,
    input: 'out_trade_no=1&total_amount=10.00&sign=x',
    input_preview: 'out_trade_no=1&total_amount=10.00&sign=x',
    valid: true,
    kind: 'return',
    signed_over: 'documented',
    response: null,
    reason: null,
    hint: null,
    canonical: 'out_trade_no=1&total_amount=10.00',
    fields: [
      { name: 'out_trade_no', value: '1', signed: true },
      { name: 'total_amount', value: '10.00', signed: true },
      { name: 'sign', value: 'x', signed: false },
    ],
    order: {
      order_number: '1',
      exists: true,
      status: 0,
      status_label: '未支付',
      real_price: '10.00',
      amount_matches: true,
      app_id_matches: true,
      seller_id_matches: true,
    },
    ...over,
  }
}

function lookup(catalog: object, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], catalog)
}

describe('verdictView', () => {
  it('renders a valid, matching input as VALID and settleable', () => {
    const v = verdictView(report())
    expect(v).toMatchObject({ label: 'VALID', tone: 'success', settle: 'ok', signedCount: 2, unsignedCount: 1 })
    expect(v.marks).toEqual({ amount: 'match', app_id: 'match', seller_id: 'match' })
    expect(v.reason).toBeNull()
  })

  it('shows the backend reason and hint for an invalid input', () => {
    const v = verdictView(report({ valid: false, reason: 'sign does not verify: field total_amount was changed', hint: 'compare with the original notify' }))
    expect(v).toMatchObject({ label: 'INVALID', tone: 'danger', settle: 'invalid' })
    expect(v.reason).toEqual({ text: 'sign does not verify: field total_amount was changed' })
    expect(v.hint).toEqual({ text: 'compare with the original notify' })
  })

  it('explains a missing reason and an unrecognised input with catalog text', () => {
    const v = verdictView(report({ valid: false, kind: 'unknown', order: null }))
    expect(v.reason).toEqual({ key: 'verify.noReason' })
    expect(v.hint).toEqual({ key: 'verify.hintUnknownKind' })
    for (const key of ['verify.noReason', 'verify.hintUnknownKind', v.kindKey]) {
      expect(typeof lookup(zh, key)).toBe('string')
      expect(typeof lookup(en, key)).toBe('string')
    }
  })

  it('warns — and refuses to settle — when a valid signature pays the wrong amount', () => {
    const r = report({ order: { ...report().order!, amount_matches: false } })
    const v = verdictView(r)
    expect(v).toMatchObject({ label: 'VALID', tone: 'warning', settle: 'amount_mismatch' })
    expect(v.marks.amount).toBe('mismatch')
  })

  it('notes the sign_type-kept habit on a valid verdict, and never offers to settle a response', () => {
    expect(verdictView(report()).noteKey).toBeNull()
    const kept = verdictView(report({ signed_over: 'sign_type_kept' }))
    expect(kept).toMatchObject({ label: 'VALID', tone: 'success', noteKey: 'verify.note.signTypeKept' })
    const resp = verdictView(report({ kind: 'response', signed_over: null }))
    expect(resp).toMatchObject({ label: 'VALID', tone: 'success', settle: 'response' })
    expect(canSettle(resp.settle)).toBe(false)
    for (const key of ['verify.note.signTypeKept', 'verify.settleGate.response', resp.kindKey]) {
      expect(typeof lookup(zh, key)).toBe('string')
      expect(typeof lookup(en, key)).toBe('string')
    }
  })

  it('gates settling on the order', () => {
    expect(settleGate(report({ order: null }))).toBe('no_order')
    expect(settleGate(report({ order: { ...report().order!, exists: false } }))).toBe('order_missing')
    expect(settleGate(report({ order: { ...report().order!, status: 1 } }))).toBe('already_paid')
    expect(settleGate(report({ order: { ...report().order!, app_id_matches: false } }))).toBe('app_id_mismatch')
    expect(settleGate(report({ order: { ...report().order!, seller_id_matches: false } }))).toBe('seller_id_mismatch')
    expect(settleGate(report({ order: { ...report().order!, amount_matches: null } }))).toBe('ok')
  })

  it('offers Settle on an unpaid or already paid order, never on a mismatch', () => {
    expect(canSettle('ok')).toBe(true)
    expect(canSettle('already_paid')).toBe(true)
    for (const gate of ['invalid', 'no_order', 'order_missing', 'amount_mismatch', 'app_id_mismatch', 'seller_id_mismatch'] as const) {
      expect(canSettle(gate)).toBe(false)
    }
  })

  it('has catalog text for every settle gate', () => {
    for (const gate of ['invalid', 'no_order', 'order_missing', 'already_paid', 'amount_mismatch', 'app_id_mismatch', 'seller_id_mismatch']) {
      expect(lookup(zh, `verify.settleGate.${gate}`)).toBeTruthy()
      expect(lookup(en, `verify.settleGate.${gate}`)).toBeTruthy()
    }
  })
})

describe('error codes', () => {
  it('map to a distinct title and advice in both languages', () => {
    for (const catalog of [zh, en]) {
      const advices = new Set<string>()
      for (const code of ERROR_CODES) {
        const view = describeError({ code, message: 'backend says' })
        expect(view.code).toBe(code)
        expect(view.message).toBe('backend says')
        const title = lookup(catalog, view.titleKey)
        const advice = lookup(catalog, view.adviceKey)
        expect(typeof title).toBe('string')
        expect(typeof advice).toBe('string')
        advices.add(advice as string)
      }
      expect(advices.size).toBe(ERROR_CODES.length)
    }
  })

  it('flags unknown_outcome as unsafe to retry', () => {
    expect(describeError({ code: 'unknown_outcome', message: '' }).dangerousToRetry).toBe(true)
    expect(describeError({ code: 'gateway', message: '' }).dangerousToRetry).toBe(false)
  })

  it('treats unknown codes and plain rejections as internal, keeping the text', () => {
    expect(describeError({ code: 'weird', message: 'm' })).toMatchObject({ code: 'internal', message: 'm' })
    expect(describeError('missing field `orderNumber`')).toMatchObject({ code: 'internal', message: 'missing field `orderNumber`' })
    expect(describeError(new Error('boom'))).toMatchObject({ code: 'internal', message: 'boom' })
  })
})
