import { listen, type UnlistenFn } from '@tauri-apps/api/event'
import type { ChangedEvent, ProgressEvent } from '../bindings'
import { inPaydesk } from './ipc'

export const CHANGED_EVENT = 'paydesk://changed'
export const PROGRESS_EVENT = 'paydesk://progress'

async function subscribe<T>(name: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  // Outside the app there is nothing to listen to; a no-op keeps views free of special cases.
  if (!inPaydesk()) return () => {}
  return listen<T>(name, (event) => handler(event.payload))
}

export const onChanged = (handler: (e: ChangedEvent) => void) => subscribe<ChangedEvent>(CHANGED_EVENT, handler)
export const onProgress = (handler: (e: ProgressEvent) => void) => subscribe<ProgressEvent>(PROGRESS_EVENT, handler)
