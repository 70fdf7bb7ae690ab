import { describe, expect, it } from 'vitest'
import { COUNTDOWN_S, countdown, inIntro, type Countdown } from './countdown.ts'

const at = (position: number, hasNext = true) =>
  ({ type: 'position', position, creditsStart: 100, hasNext }) as const

describe('the next-episode countdown', () => {
  it('starts at the credits and plays the next episode at 0', () => {
    let state: Countdown = countdown({ step: 'idle' }, at(99.9))
    expect(state).toEqual({ step: 'idle' })
    state = countdown(state, at(100))
    expect(state).toEqual({ step: 'counting', left: COUNTDOWN_S })
    // More time updates inside the credits do not restart it.
    state = countdown(countdown(state, { type: 'tick' }), at(101))
    expect(state).toEqual({ step: 'counting', left: COUNTDOWN_S - 1 })
    for (let i = 0; i < COUNTDOWN_S - 1; i++) state = countdown(state, { type: 'tick' })
    expect(state).toEqual({ step: 'done' })
  })

  it('stays cancelled in the credits, and starts again after a seek back before them', () => {
    let state = countdown(countdown({ step: 'idle' }, at(100)), { type: 'cancel' })
    state = countdown(countdown(state, { type: 'tick' }), at(105))
    expect(state).toEqual({ step: 'cancelled' })
    state = countdown(state, at(50))
    expect(state).toEqual({ step: 'idle' })
    expect(countdown(state, at(100))).toEqual({ step: 'counting', left: COUNTDOWN_S })
  })

  it('never runs without a next episode or a credits marker', () => {
    expect(countdown({ step: 'idle' }, at(200, false))).toEqual({ step: 'idle' })
    const noMarker = { type: 'position', position: 9e9, creditsStart: null, hasNext: true } as const
    expect(countdown({ step: 'idle' }, noMarker)).toEqual({ step: 'idle' })
  })

  it('ignores ticks and cancels when not counting', () => {
    expect(countdown({ step: 'idle' }, { type: 'tick' })).toEqual({ step: 'idle' })
    expect(countdown({ step: 'done' }, { type: 'cancel' })).toEqual({ step: 'done' })
  })
})

describe('Skip Intro', () => {
  it('shows from the intro start to just before its end', () => {
    const intro = { start_s: 5, end_s: 35 }
    expect([4.9, 5, 34.9, 35].map((p) => inIntro(intro, p))).toEqual([false, true, true, false])
    expect(inIntro(null, 10)).toBe(false)
  })
})
