import { useCallback, useEffect, useRef, useState } from 'react'
import { loadIdle, loadRule, onAutoplay, onInput, saveIdle, shouldAsk } from './stillWatching.ts'

const CHECK_MS = 30_000

/**
 * Whether to ask "Are you still watching?" now. Input anywhere on the page
 * resets the counts; `autoplayed` is true when this episode was started by
 * the countdown. The counts live in the tab's sessionStorage so they carry
 * from episode to episode.
 */
export function useStillWatching(profileId: string | null, autoplayed: boolean) {
  const [asking, setAsking] = useState(false)
  const idle = useRef(loadIdle(sessionStorage, Date.now()))
  const rule = useRef(loadRule(localStorage, profileId))
  rule.current = loadRule(localStorage, profileId)

  useEffect(() => {
    if (!autoplayed) return
    idle.current = onAutoplay(idle.current)
    saveIdle(sessionStorage, idle.current)
    if (shouldAsk(idle.current, Date.now(), rule.current)) setAsking(true)
  }, [autoplayed])

  useEffect(() => {
    const timer = window.setInterval(() => {
      if (shouldAsk(idle.current, Date.now(), rule.current)) setAsking(true)
    }, CHECK_MS)
    return () => window.clearInterval(timer)
  }, [])

  const input = useCallback(() => {
    idle.current = onInput(Date.now())
    saveIdle(sessionStorage, idle.current)
  }, [])

  useEffect(() => {
    window.addEventListener('pointerdown', input)
    return () => window.removeEventListener('pointerdown', input)
  }, [input])

  const answered = useCallback(() => {
    input()
    setAsking(false)
  }, [input])

  return { asking, input, answered }
}
