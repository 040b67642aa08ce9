// Typed confirmation for destructive actions. The dialog lives once in App.vue; any view calls
// `guarded(action, subject, run)` and gets the `confirm` argument handed to its command.
import { reactive } from 'vue'
import type { GuardedAction } from '../lib/confirm'
import { confirmationRequired, expectedConfirmation } from '../lib/confirm'
import { normaliseError } from '../api/ipc'
import { profileKind } from './appState'

interface PendingConfirm {
  visible: boolean
  action: GuardedAction
  expected: string
  resolve: ((typed: string | null) => void) | null
}

export const confirmState = reactive<PendingConfirm>({ visible: false, action: 'refund', expected: '', resolve: null })

/** Shows the dialog; resolves with the typed text when it matched, null when cancelled. */
export function askConfirmation(action: GuardedAction, subject: string): Promise<string | null> {
  confirmState.resolve?.(null)
  return new Promise((resolve) => {
    confirmState.action = action
    confirmState.expected = expectedConfirmation(action, subject)
    confirmState.resolve = resolve
    confirmState.visible = true
  })
}

export function settleConfirmation(typed: string | null): void {
  const resolve = confirmState.resolve
  confirmState.resolve = null
  confirmState.visible = false
  resolve?.(typed)
}

/**
 * Runs a destructive command. On production the operator types the subject first; if the backend
 * still answers `confirmation_required` (it is the authority on what production is), ask and retry
 * once. Resolves null when the operator cancels.
 */
export async function guarded<T>(
  action: GuardedAction,
  subject: string,
  run: (confirm: string | null) => Promise<T>,
): Promise<T | null> {
  let confirm: string | null = null
  if (confirmationRequired(profileKind.value)) {
    confirm = await askConfirmation(action, subject)
    if (confirm === null) return null
  }
  try {
    return await run(confirm)
  } catch (e) {
    const err = normaliseError(e)
    if (err.code !== 'confirmation_required' || confirm !== null) throw err
    const typed = await askConfirmation(action, subject)
    if (typed === null) return null
    return run(typed)
  }
}
