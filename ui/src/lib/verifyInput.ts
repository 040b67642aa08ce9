// Turning pasted text or a log file into the list of inputs `verify_inputs` checks one by one.

/** Pasted text: one input per non-empty line. */
export function splitInputs(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '')
}

/** Above this many characters a paste is not put in the text box: it is kept aside and only its start is shown. */
export const BIG_INPUT_CHARS = 200_000
/** Above this, the view warns before verifying (it still runs, in the background). */
export const WARN_INPUT_CHARS = 2_000_000

/** A preview of a large text: its first lines, at most `max` characters. */
export function previewOf(text: string, max = 2000): string {
  return text.length <= max ? text : text.slice(0, max)
}

/** Counts lines without splitting a multi-megabyte string into an array. */
export function countLines(text: string): number {
  let n = 0
  let inLine = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 10) {
      if (inLine) n++
      inLine = false
    } else if (c !== 13 && c !== 32 && c !== 9) inLine = true
  }
  return inLine ? n + 1 : n
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
    // A gateway response logged on one line: the JSON object from its first brace.
    const json = line.indexOf('{"')
    if (json >= 0 && line.includes('_response"') && line.includes('"sign"')) {
      out.push(line.slice(json, line.lastIndexOf('}') + 1))
      continue
    }
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
