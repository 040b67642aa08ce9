import { invoke, isTauri } from '@tauri-apps/api/core'
import type { IpcErrorCode } from '../bindings'

/** Codes the backend sends, plus one the UI raises itself when there is no backend at all. */
export type AppErrorCode = IpcErrorCode | 'not_in_paydesk'

/** Every failure the UI shows has this shape, whatever threw it. */
export interface AppError {
  code: AppErrorCode
  message: string
}

const BACKEND_CODES: readonly IpcErrorCode[] = [
  'not_found',
  'invalid_input',
  'conflict',
  'gateway',
  'signature',
  'unknown_outcome',
  'confirmation_required',
  'internal',
]

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
    // A command that failed before reaching our error mapping (e.g. an argument that did not
    // deserialize) rejects with plain text.
    return { code: 'internal', message: raw }
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
