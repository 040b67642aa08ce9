import { invoke, isTauri } from '@tauri-apps/api/core'
import type { ErrorKind } from '../bindings'
import { ERROR_KINDS } from '../bindings'

/** Codes the backend sends (core's ErrorKind), plus one the UI raises itself when there is no backend at all. */
export type AppErrorCode = ErrorKind | 'not_in_paydesk'

/** Every failure the UI shows has this shape, whatever threw it. */
export interface AppError {
  code: AppErrorCode
  message: string
}

const BACKEND_CODES: readonly ErrorKind[] = ERROR_KINDS

export const NOT_IN_PAYDESK: AppError = {
  code: 'not_in_paydesk',
  message: 'Paydesk 后端不可用：此界面需要在 Paydesk 桌面应用中运行 (not running inside Paydesk)',
}

export function isAppError(value: unknown): value is AppError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  )
}

/** Turns whatever a command rejected with into an AppError; unknown codes become `internal`. */
export function normaliseError(raw: unknown): AppError {
  if (isAppError(raw)) {
    const known = (BACKEND_CODES as readonly string[]).includes(raw.code) || raw.code === 'not_in_paydesk'
    return { code: known ? (raw.code as AppErrorCode) : 'internal', message: raw.message }
  }
  if (typeof raw === 'string') {
    // A command that failed before reaching our error mapping rejects with plain text; an
    // argument that did not deserialize (a bad table name in Settings) is the user's to fix.
    return { code: raw.startsWith('invalid args') ? 'invalid_input' : 'internal', message: raw }
  }
  if (raw instanceof Error) return { code: 'internal', message: raw.message }
  return { code: 'internal', message: String(raw) }
}

export function inPaydesk(): boolean {
  return isTauri()
}

/** The one door to the backend: typed, and every rejection normalised. */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  if (!inPaydesk()) throw NOT_IN_PAYDESK
  try {
    return await invoke<T>(command, args)
  } catch (raw) {
    throw normaliseError(raw)
  }
}
