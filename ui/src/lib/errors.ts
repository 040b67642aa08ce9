import type { AppError, AppErrorCode } from '../api/ipc'
import { normaliseError } from '../api/ipc'
import { ERROR_KINDS } from '../bindings'

/** Short "what to do now" per error code; the text lives in the i18n catalogs under `errors.*`. */
export const ERROR_CODES: readonly AppErrorCode[] = [...ERROR_KINDS, 'not_in_paydesk']

export function errorTitleKey(code: AppErrorCode): string {
  return `errors.${code}.title`
}

export function errorAdviceKey(code: AppErrorCode): string {
  return `errors.${code}.advice`
}

export interface ErrorView {
  code: AppErrorCode
  titleKey: string
  adviceKey: string
  /** The backend's own words, always shown. */
  message: string
  /** Retrying blindly could repeat a money movement. */
  dangerousToRetry: boolean
}

export function describeError(raw: unknown): ErrorView {
  const err: AppError = normaliseError(raw)
  return {
    code: err.code,
    titleKey: errorTitleKey(err.code),
    adviceKey: errorAdviceKey(err.code),
    message: err.message,
    dangerousToRetry: err.code === 'unknown_outcome',
  }
}
