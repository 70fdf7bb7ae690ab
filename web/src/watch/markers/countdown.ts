// When the markers of a play call for a button: Skip Intro while the intro
// plays, the next-episode countdown once the credits start.

/** Seconds the next-episode countdown runs before the next episode plays. */
export const COUNTDOWN_S = 10

/** Whether `position` is inside the intro (start inclusive, end exclusive). */
export function inIntro(intro: { start_s: number; end_s: number } | null, position: number): boolean {
  return intro !== null && position >= intro.start_s && position < intro.end_s
}

/** The countdown's state at one moment of the play. */
export type Countdown =
  | { step: 'idle' }
  | { step: 'counting'; left: number }
  | { step: 'cancelled' }
  | { step: 'done' }

export type CountdownEvent =
  | { type: 'position'; position: number; creditsStart: number | null; hasNext: boolean }
  | { type: 'tick' }
  | { type: 'cancel' }
  | { type: 'reset' }

/**
 * The countdown after `event`: it starts when the position reaches the
 * credits (if there is a next episode), loses a second per tick, is `done`
 * at 0 (the page then plays the next episode) and stays `cancelled` until
 * the viewer seeks back before the credits.
 */
export function countdown(state: Countdown, event: CountdownEvent): Countdown {
  switch (event.type) {
    case 'position': {
      const { position, creditsStart, hasNext } = event
      const inCredits = hasNext && creditsStart !== null && position >= creditsStart
      if (!inCredits) return state.step === 'idle' ? state : { step: 'idle' }
      return state.step === 'idle' ? { step: 'counting', left: COUNTDOWN_S } : state
    }
    case 'tick':
      if (state.step !== 'counting') return state
      return state.left <= 1 ? { step: 'done' } : { step: 'counting', left: state.left - 1 }
    case 'cancel':
      return state.step === 'counting' ? { step: 'cancelled' } : state
    case 'reset':
      return { step: 'idle' }
  }
}
