// A required free-text reason (grant, revoke, close, merge): every such change is audited with it.
import { reactive } from 'vue'

export const reasonState = reactive({
  visible: false,
  title: '',
  label: '',
  resolve: null as ((reason: string | null) => void) | null,
})

export function askReason(title: string, label = ''): Promise<string | null> {
  reasonState.resolve?.(null)
  return new Promise((resolve) => {
    reasonState.title = title
    reasonState.label = label
    reasonState.resolve = resolve
    reasonState.visible = true
  })
}

export function settleReason(reason: string | null): void {
  const resolve = reasonState.resolve
  reasonState.resolve = null
  reasonState.visible = false
  resolve?.(reason)
}
