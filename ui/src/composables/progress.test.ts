import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { progress, trackProgress } from './appState'

describe('progress panel state', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    progress.clear()
  })
  afterEach(() => vi.useRealTimers())

  it('hides a finished task a few seconds after done reaches total', () => {
    trackProgress({ task: 'demo', done: 10, total: 100, message: 'demo data' })
    trackProgress({ task: 'demo', done: 100, total: 100, message: 'demo data ready' })
    expect(progress.has('demo')).toBe(true)
    vi.advanceTimersByTime(5000)
    expect(progress.has('demo')).toBe(false)
  })

  it('keeps a task that reported again after finishing once', () => {
    trackProgress({ task: 'expire', done: 3, total: 3, message: null })
    trackProgress({ task: 'expire', done: 1, total: 5, message: null })
    vi.advanceTimersByTime(5000)
    expect(progress.get('expire')?.done).toBe(1)
  })

  it('keeps an unfinished task', () => {
    trackProgress({ task: 'refunds', done: 2, total: 9, message: null })
    vi.advanceTimersByTime(60_000)
    expect(progress.has('refunds')).toBe(true)
  })
})
