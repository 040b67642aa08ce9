// App-wide state: the active profile's status, change notifications and task progress. One
// listener per backend event for the whole app; views subscribe here.
import { computed, reactive, ref } from 'vue'
import type { AppStatus, ChangedEntity, ChangedEvent, ProgressEvent } from '../bindings'
import { appStatus } from '../api/commands'
import { onChanged, onProgress } from '../api/events'
import type { AppError } from '../api/ipc'
import { normaliseError } from '../api/ipc'

export const status = ref<AppStatus | null>(null)
export const statusError = ref<AppError | null>(null)
export const statusLoading = ref(false)
export const profileKind = computed(() => status.value?.kind ?? null)
export const isProduction = computed(() => status.value?.kind === 'production')

export async function refreshStatus(): Promise<void> {
  statusLoading.value = true
  try {
    status.value = await appStatus()
    statusError.value = null
  } catch (e) {
    statusError.value = normaliseError(e)
  } finally {
    statusLoading.value = false
  }
}

type ChangeHandler = (e: ChangedEvent) => void
const changeHandlers = new Set<{ entities: ChangedEntity[] | null; handler: ChangeHandler }>()

/** Runs `handler` whenever the backend reports a change to one of `entities` (null = any). */
export function subscribeChanges(entities: ChangedEntity[] | null, handler: ChangeHandler): () => void {
  const entry = { entities, handler }
  changeHandlers.add(entry)
  return () => changeHandlers.delete(entry)
}

export const progress = reactive(new Map<string, ProgressEvent>())

let started = false
export async function startEventBridge(): Promise<void> {
  if (started) return
  started = true
  await onChanged((e) => {
    if (e.entity === 'profile') void refreshStatus()
    for (const { entities, handler } of changeHandlers) {
      if (entities === null || entities.includes(e.entity)) handler(e)
    }
  })
  await onProgress(trackProgress)
}

const PROGRESS_LINGER_MS = 2500
const progressSeq = new Map<string, number>()

/**
 * Shows a task's progress; once done reaches total the bar stays a moment (a fast task is still
 * seen to finish) and then goes. A sequence number, not the event object, says whether a newer
 * report came meanwhile: the reactive map hands back proxies, so identity never matches.
 */
export function trackProgress(e: ProgressEvent): void {
  const seq = (progressSeq.get(e.task) ?? 0) + 1
  progressSeq.set(e.task, seq)
  progress.set(e.task, e)
  if (e.total > 0 && e.done >= e.total) {
    setTimeout(() => {
      if (progressSeq.get(e.task) === seq) progress.delete(e.task)
    }, PROGRESS_LINGER_MS)
  }
}
