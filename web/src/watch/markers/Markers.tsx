import { useEffect, useReducer } from 'react'
import { countdown, inIntro } from './countdown.ts'

/** Skip Intro, shown while the position is inside the intro markers. */
export function SkipIntro({
  intro,
  position,
  onSkip,
}: {
  intro: { start_s: number; end_s: number } | null
  position: number
  onSkip: (to: number) => void
}) {
  if (!intro || !inIntro(intro, position)) return null
  return (
    <button type="button" className="skip-intro" onClick={() => onSkip(intro.end_s)}>
      Skip Intro
    </button>
  )
}

/**
 * The next-episode countdown from the credits marker: plays the next episode
 * (`onNext`) when it reaches 0, unless the viewer cancels it.
 */
export function NextEpisode({
  creditsStart,
  nextId,
  position,
  onNext,
}: {
  creditsStart: number | null
  nextId: string | null
  position: number
  onNext: (nextId: string, byCountdown: boolean) => void
}) {
  const [state, dispatch] = useReducer(countdown, { step: 'idle' })
  useEffect(() => {
    dispatch({ type: 'position', position, creditsStart, hasNext: nextId !== null })
  }, [position, creditsStart, nextId])
  const counting = state.step === 'counting'
  useEffect(() => {
    if (!counting) return
    const timer = window.setInterval(() => dispatch({ type: 'tick' }), 1000)
    return () => window.clearInterval(timer)
  }, [counting])
  const done = state.step === 'done'
  useEffect(() => {
    if (done && nextId) onNext(nextId, true)
  }, [done, nextId, onNext])
  if (state.step !== 'counting' || !nextId) return null
  return (
    <div className="next-episode" role="status" data-testid="next-episode">
      <p>Next episode in {state.left} s</p>
      <button type="button" onClick={() => onNext(nextId, false)}>
        Play now
      </button>
      <button type="button" onClick={() => dispatch({ type: 'cancel' })}>
        Cancel
      </button>
    </div>
  )
}
