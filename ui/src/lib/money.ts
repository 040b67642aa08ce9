// Money crosses IPC as a decimal string ("1579.00"). It is never turned into a float: amounts are
// compared and subtracted as integer cents (BigInt), and formatting only re-arranges the digits.

const MONEY_RE = /^(-)?(\d+)(?:\.(\d{1,2}))?$/

/** Parses "1,579.5", "¥12", "0.01" into integer cents; null for anything that is not money. */
export function parseCents(input: string | null | undefined): bigint | null {
  if (input == null) return null
  const cleaned = input.trim().replace(/^[¥￥]/, '').replace(/,/g, '')
  const m = MONEY_RE.exec(cleaned)
  if (!m) return null
  const [, sign, whole, frac = ''] = m
  const cents = BigInt(whole!) * 100n + BigInt((frac + '00').slice(0, 2))
  return sign ? -cents : cents
}

export function centsToString(cents: bigint): string {
  const negative = cents < 0n
  const abs = negative ? -cents : cents
  const whole = abs / 100n
  const frac = (abs % 100n).toString().padStart(2, '0')
  return `${negative ? '-' : ''}${whole.toString()}.${frac}`
}

/** The canonical 2-dp string the backend expects ("12.5" → "12.50"), or null if not money. */
export function normaliseMoney(input: string | null | undefined): string | null {
  const cents = parseCents(input)
  return cents === null ? null : centsToString(cents)
}

export function isMoney(input: string | null | undefined): boolean {
  return parseCents(input) !== null
}

/** -1, 0, 1 like a comparator; null when either side is not money. */
export function compareMoney(a: string, b: string): -1 | 0 | 1 | null {
  const x = parseCents(a)
  const y = parseCents(b)
  if (x === null || y === null) return null
  return x < y ? -1 : x > y ? 1 : 0
}

export function subtractMoney(a: string, b: string): string | null {
  const x = parseCents(a)
  const y = parseCents(b)
  if (x === null || y === null) return null
  return centsToString(x - y)
}

function groupThousands(digits: string): string {
  let out = ''
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ','
    out += digits[i]
  }
  return out
}

/**
 * "1234567.5" → "1,234,567.50"; with symbol "¥1,234,567.50". Strings that are not plain decimals are
 * returned unchanged (the backend's text is shown rather than guessed at). More than two decimals are
 * kept as they are, never rounded.
 */
export function formatMoney(value: string | null | undefined, symbol = ''): string {
  if (value == null || value === '') return '—'
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(value.trim())
  if (!m) return value
  const [, sign = '', whole, frac = ''] = m
  const decimals = frac.length >= 2 ? frac : frac.padEnd(2, '0')
  const wholeTrimmed = whole!.replace(/^0+(?=\d)/, '')
  return `${sign}${symbol}${groupThousands(wholeTrimmed)}.${decimals}`
}

export function isZero(value: string | null | undefined): boolean {
  return parseCents(value) === 0n
}
