import type { ProfileKind } from '../bindings'

/**
 * Operations that move money or take access away (or change what every refund takes away: the
 * policy); on production each needs typed confirmation.
 */
export type GuardedAction = 'refund' | 'revoke' | 'settle' | 'close' | 'expire' | 'policy'

export const EXPIRE_WORD = 'EXPIRE'
export const POLICY_WORD = 'POLICY'

/**
 * Production always asks. When the profile is not known yet (status still loading) the UI asks too:
 * guessing "not production" is the one mistake that cannot be undone.
 */
export function confirmationRequired(kind: ProfileKind | null | undefined): boolean {
  return kind !== 'simulator' && kind !== 'sandbox'
}

/** What the operator must type: the order number (grant id for a revoke), EXPIRE for bulk expire, POLICY for the refund policy. */
export function expectedConfirmation(action: GuardedAction, subject: string): string {
  if (action === 'expire') return EXPIRE_WORD
  if (action === 'policy') return POLICY_WORD
  return subject.trim()
}

/** Exact match after trimming the ends — no case folding, no partial numbers. */
export function confirmationMatches(typed: string, expected: string): boolean {
  return expected !== '' && typed.trim() === expected
}

/** The `confirm` argument for the command: the typed text when it matches, null when not required. */
export function confirmArgument(
  kind: ProfileKind | null | undefined,
  action: GuardedAction,
  subject: string,
  typed: string | null,
): { ok: true; confirm: string | null } | { ok: false } {
  const expected = expectedConfirmation(action, subject)
  if (!confirmationRequired(kind)) return { ok: true, confirm: null }
  if (typed !== null && confirmationMatches(typed, expected)) return { ok: true, confirm: expected }
  return { ok: false }
}
