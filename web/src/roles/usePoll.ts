import { useEffect, useRef, useState } from 'react'

export interface Polled<T> {
  data: T | null
  error: string | null
  /** Load again now (the retry button). */
  reload: () => void
}

/**
 * Call `load` now and every `everyMs` while `active` says so; the last good
 * answer stays on screen when a later poll fails (its error shows beside it).
 */
export function usePoll<T>(
  load: () => Promise<T>,
  everyMs: number,
  active: (data: T | null) => boolean = () => true,
  key: unknown = null,
): Polled<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [round, setRound] = useState(0)
  const loadRef = useRef(load)
  const activeRef = useRef(active)
  useEffect(() => {
    loadRef.current = load
    activeRef.current = active
  })

  useEffect(() => {
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = async () => {
      let latest: T | null = null
      try {
        latest = await loadRef.current()
        if (stopped) return
        setData(latest)
        setError(null)
      } catch (caught) {
        if (stopped) return
        setError(caught instanceof Error ? caught.message : String(caught))
      }
      if (!stopped && activeRef.current(latest)) timer = setTimeout(tick, everyMs)
    }
    void tick()
    return () => {
      stopped = true
      clearTimeout(timer)
    }
  }, [everyMs, round, key])

  return { data, error, reload: () => setRound((r) => r + 1) }
}
