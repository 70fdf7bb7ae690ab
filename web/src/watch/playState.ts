// The watch page's steps, as a pure reducer: sign in, choose a profile, start
// the play, play it (or say why not). The effects that move between steps
// live in usePlay.ts; this decides only where each outcome leads.

import type { ActiveDevice, Play } from '../api/playback.ts'
import type { TitleProblem } from '../api/media.ts'
import type { Profile, Session } from '../api/session.ts'

export type PlayState =
  | { step: 'sign-in'; message: string | null }
  | { step: 'profiles'; session: Session; profiles: Profile[]; message: string | null }
  | { step: 'starting'; session: Session }
  | { step: 'playing'; session: Session; play: Play }
  | { step: 'limit'; session: Session; message: string; devices: ActiveDevice[] }
  | { step: 'error'; problem: TitleProblem | 'ended'; message: string; session?: Session }

export type PlayEvent =
  | { type: 'restored'; session: Session | null }
  | { type: 'signed-in'; session: Session; profiles: Profile[] }
  | { type: 'sign-in-failed'; message: string }
  | { type: 'profile-chosen'; session: Session }
  | { type: 'profile-failed'; message: string }
  | { type: 'started'; play: Play; session?: Session }
  | { type: 'limited'; message: string; devices: ActiveDevice[] }
  | { type: 'failed'; problem: TitleProblem; message: string }
  | { type: 'ended'; message: string }
  | { type: 'retry' }

export function initialState(session: Session | null): PlayState {
  return reduce({ step: 'sign-in', message: null }, { type: 'restored', session })
}

function sessionOf(state: PlayState): Session | null {
  return ('session' in state ? state.session : null) ?? null
}

/** The step after `event` in `state`; an event that does not fit the step changes nothing. */
export function reduce(state: PlayState, event: PlayEvent): PlayState {
  switch (event.type) {
    case 'restored':
      return event.session
        ? { step: 'starting', session: event.session }
        : { step: 'sign-in', message: null }
    case 'signed-in': {
      // An account without profiles plays as itself; otherwise the viewer
      // picks (usePlay opens a lone profile without a PIN by itself).
      const { session, profiles } = event
      if (profiles.length === 0) return { step: 'starting', session }
      return { step: 'profiles', session, profiles, message: null }
    }
    case 'sign-in-failed':
      return state.step === 'sign-in' ? { step: 'sign-in', message: event.message } : state
    case 'profile-chosen':
      return state.step === 'profiles' ? { step: 'starting', session: event.session } : state
    case 'profile-failed':
      return state.step === 'profiles' ? { ...state, message: event.message } : state
    case 'started': {
      // The session may come back refreshed from starting the play.
      const session = event.session ?? sessionOf(state)
      return state.step === 'starting' && session
        ? { step: 'playing', session, play: event.play }
        : state
    }
    case 'limited': {
      const session = sessionOf(state)
      return session
        ? { step: 'limit', session, message: event.message, devices: event.devices }
        : state
    }
    case 'failed':
      // A refused token (expired, signed out elsewhere) asks for the viewer again.
      if (event.problem === 'unauthorized') return { step: 'sign-in', message: event.message }
      if (event.problem === 'unavailable') {
        // The service may come back: keep the session so the viewer can retry.
        const session = sessionOf(state)
        if (session) return { step: 'error', problem: event.problem, message: event.message, session }
      }
      return { step: 'error', problem: event.problem, message: event.message }
    case 'ended':
      return { step: 'error', problem: 'ended', message: event.message }
    case 'retry': {
      const session = sessionOf(state)
      const again = state.step === 'limit' || (state.step === 'error' && state.problem === 'unavailable')
      return again && session ? { step: 'starting', session } : state
    }
  }
}

/** The profile to open without asking: the only one, when it has no PIN. */
export function onlyProfile(profiles: Profile[]): Profile | null {
  return profiles.length === 1 && !profiles[0].has_pin ? profiles[0] : null
}

/** The stable id of this browser as a playback device, made once and kept in `storage`. */
export function deviceId(storage: Storage, random: () => string): string {
  const key = 'reelstack.device'
  const known = storage.getItem(key)
  if (known && /^[A-Za-z0-9._:-]{1,64}$/.test(known)) return known
  const made = `web-${random()}`.slice(0, 64)
  storage.setItem(key, made)
  return made
}

/** A short name for this browser in the stream-limit list ("Chrome on Linux"). */
export function deviceName(userAgent: string): string {
  const browser =
    /Edg\//.test(userAgent) ? 'Edge'
    : /Firefox\//.test(userAgent) ? 'Firefox'
    : /Chrome\//.test(userAgent) ? 'Chrome'
    : /Safari\//.test(userAgent) ? 'Safari'
    : 'Browser'
  const system =
    /Android/.test(userAgent) ? 'Android'
    : /iPhone|iPad/.test(userAgent) ? 'iOS'
    : /Mac OS X/.test(userAgent) ? 'macOS'
    : /Windows/.test(userAgent) ? 'Windows'
    : /Linux/.test(userAgent) ? 'Linux'
    : null
  return system ? `${browser} on ${system}` : browser
}
