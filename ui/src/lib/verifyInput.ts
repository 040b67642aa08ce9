// Turning pasted text or a log file into the list of inputs `verify_inputs` checks one by one.

/** Pasted text: one input per non-empty line. */
export function splitInputs(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

function looksSigned(s: string): boolean {
  return /(^|[?&])sign=/.test(s)
}

/**
 * A log file: from each line keep the return URL or notify body it carries, skip the rest.
 * A URL is taken from "http" to the next space; otherwise the longest `a=b&…` token that has a sign.
 */
export function extractFromLog(text: string): string[] {
  const out: string[] = []
  for (const line of splitInputs(text)) {
    const url = /https?:\/\/\S+/.exec(line)
    if (url && looksSigned(url[0].split('?')[1] ?? '')) {
      out.push(url[0].replace(/["',;)]+$/, ''))
      continue
    }
    const tokens = line.split(/\s+/).map((t) => t.replace(/^["']|["',;]+$/g, ''))
    const body = tokens.filter((t) => t.includes('&') && looksSigned(t)).sort((a, b) => b.length - a.length)[0]
    if (body) out.push(body)
  }
  return out
}
