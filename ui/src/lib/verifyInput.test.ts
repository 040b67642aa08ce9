import { describe, expect, it } from 'vitest'
import { countLines, extractFromLog, previewOf, splitInputs } from './verifyInput'

describe('splitInputs', () => {
  it('keeps one input per non-empty line, trimmed', () => {
    expect(splitInputs(' a=1&sign=x \r\n\n  https://h/r?b=2&sign=y\n')).toEqual(['a=1&sign=x', 'https://h/r?b=2&sign=y'])
  })
})

describe('extractFromLog', () => {
  it('pulls return URLs and notify bodies out of log lines and skips the rest', () => {
    const log = [
      '2024-05-01 10:00:00 INFO GET "http://127.0.0.1:8000/pay/result?charset=utf-8&out_trade_no=1&sign=abc%2B" 200',
      '2024-05-01 10:00:01 INFO notify body: gmt_create=2024-05-01+10%3A00%3A00&out_trade_no=1&sign=def&sign_type=RSA2',
      '2024-05-01 10:00:02 DEBUG healthcheck ok',
      '2024-05-01 10:00:03 INFO GET http://127.0.0.1:8000/home?page=2',
    ].join('\n')
    expect(extractFromLog(log)).toEqual([
      'http://127.0.0.1:8000/pay/result?charset=utf-8&out_trade_no=1&sign=abc%2B',
      'gmt_create=2024-05-01+10%3A00%3A00&out_trade_no=1&sign=def&sign_type=RSA2',
    ])
  })

  it('does not mistake sign_type alone for a signature', () => {
    expect(extractFromLog('x a=1&sign_type=RSA2')).toEqual([])
  })
})

describe('responses and large inputs', () => {
  it('takes a logged gateway response from its first brace', () => {
    const line = '10:00:04 INFO answer {"alipay_trade_query_response":{"code":"10000","msg":"Success"},"sign":"abc"}'
    expect(extractFromLog(line)).toEqual(['{"alipay_trade_query_response":{"code":"10000","msg":"Success"},"sign":"abc"}'])
  })

  it('counts non-blank lines without splitting and previews the start', () => {
    expect(countLines('a\r\n\n  \nb\nc')).toBe(3)
    expect(countLines('')).toBe(0)
    const big = 'x'.repeat(5000)
    expect(previewOf(big, 100)).toHaveLength(100)
    expect(previewOf('short')).toBe('short')
  })
})
