import { onBeforeUnmount, onMounted } from 'vue'
import type { ChangedEntity, ChangedEvent } from '../bindings'
import { subscribeChanges } from './appState'

/** Refreshes a view while it is mounted whenever the backend reports a relevant change. */
export function useChanges(entities: ChangedEntity[] | null, handler: (e: ChangedEvent) => void): void {
  let stop: (() => void) | null = null
  onMounted(() => {
    stop = subscribeChanges(entities, handler)
  })
  onBeforeUnmount(() => stop?.())
}
