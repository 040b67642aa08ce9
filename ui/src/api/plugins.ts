// The three desktop plugins the UI uses, each wrapped so a failure becomes an AppError.
import { openUrl } from '@tauri-apps/plugin-opener'
import { open, save } from '@tauri-apps/plugin-dialog'
import { writeText } from '@tauri-apps/plugin-clipboard-manager'
import { NOT_IN_PAYDESK, inPaydesk, normaliseError } from './ipc'

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  if (!inPaydesk()) throw NOT_IN_PAYDESK
  try {
    return await run()
  } catch (raw) {
    throw normaliseError(raw)
  }
}

/** Opens a pay link in the user's default browser (never inside the app window). */
export const openInBrowser = (url: string) => guarded(() => openUrl(url))

export const copyText = (text: string) => guarded(() => writeText(text))

export interface PickOptions {
  title?: string
  extensions?: string[]
}

export const pickFile = (opts: PickOptions = {}) =>
  guarded(async () => {
    const picked = await open({
      title: opts.title,
      multiple: false,
      directory: false,
      filters: opts.extensions ? [{ name: opts.extensions.join(', '), extensions: opts.extensions }] : undefined,
    })
    return typeof picked === 'string' ? picked : null
  })

export const pickDirectory = (title?: string) =>
  guarded(async () => {
    const picked = await open({ title, multiple: false, directory: true })
    return typeof picked === 'string' ? picked : null
  })

export const pickSavePath = (title?: string, defaultPath?: string) => guarded(() => save({ title, defaultPath }))
