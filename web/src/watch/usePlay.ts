import { useCallback, useEffect, useReducer, useRef } from 'react'
import { NetworkProblem, runOperation, SessionExpired } from '../api/graphql.ts'
import { TitleError } from '../api/media.ts'
import {
  PlayEndedError,
  StreamLimitError,
  type Bookmark,
  type Device,
} from '../api/playback.ts'
import { heartbeat, saveBookmark, startPlay, stopPlay } from '../api/plays.ts'
import {
  chooseProfile,
  createProfile,
  listProfiles,
  SessionError,
  signIn,
  type Profile,
  type Session,
} from '../api/session.ts'
import { sessionStore } from '../session/store.ts'
import { initialState, onlyProfile, reduce, type PlayState } from './playState.ts'
import { keepLastPosition, readLastPosition, resumeFrom } from './resume/lastPosition.ts'

const FIRST_PROFILE = 'Me'

export interface PlayControls {
  state: PlayState
  signIn: (email: string, password: string) => void
  choose: (profile: Profile, pin: string | null) => void
  retry: () => void
}

// The tab's session, shared with the GraphQL client (which refreshes it).
const saveSession = (session: Session) => sessionStore().set(session)

/**
 * The play of `titleId` for this browser's session: signs in and picks a
 * profile when asked, starts the play, renews its lease and saves the
 * bookmark every `heartbeat_s`, and stops it when the page is hidden or left.
 * Plays start, beat, save the bookmark and stop through the graph
 * (runOperation); on page hide the bookmark and the stop are sent with
 * `keepalive` so they outlive the page. `bookmark` reads where the video
 * stands (null while it has no duration).
 */
export function usePlay(
  titleId: string,
  device: Device,
  bookmark: () => Bookmark | null,
): PlayControls {
  const [state, dispatch] = useReducer(reduce, null, () => initialState(sessionStore().get()))
  const bookmarkRef = useRef(bookmark)
  bookmarkRef.current = bookmark

  const doSignIn = useCallback((email: string, password: string) => {
    signIn(email, password)
      .then(async (session) => {
        let profiles = await listProfiles(session)
        // Every play belongs to a profile; an account made without one gets
        // its first here, as a streaming service's sign-up does.
        if (profiles.length === 0) profiles = [await createProfile(session, FIRST_PROFILE)]
        saveSession(session)
        dispatch({ type: 'signed-in', session, profiles })
      })
      .catch((error: unknown) => {
        dispatch({ type: 'sign-in-failed', message: messageOf(error) })
      })
  }, [])

  const session = ('session' in state ? state.session : null) ?? null
  const choose = useCallback(
    (profile: Profile, pin: string | null) => {
      if (!session) return
      chooseProfile(session, profile.id, pin)
        .then((chosen) => {
          saveSession(chosen)
          dispatch({ type: 'profile-chosen', session: chosen })
        })
        .catch((error: unknown) => dispatch({ type: 'profile-failed', message: messageOf(error) }))
    },
    [session],
  )

  // One profile without a PIN: open it without asking.
  const only = state.step === 'profiles' ? onlyProfile(state.profiles) : null
  useEffect(() => {
    if (only) choose(only, null)
  }, [only, choose])

  // Start the play once there is a session to start it with.
  const starting = state.step === 'starting' ? state.session : null
  useEffect(() => {
    if (!starting) return
    const abort = new AbortController()
    // The graph's client reads the store; a session just chosen is there already.
    if (sessionStore().get() !== starting) saveSession(starting)
    startWithRetries(titleId, device, abort.signal)
      .then((play) => {
        if (abort.signal.aborted) {
          // Left before the answer: give the stream back at once.
          stopPlay(runOperation, play.play_id).catch(() => undefined)
          return
        }
        // The tab may know a newer position than the bookmark playback read
        // (a reload before the leaving page's bookmark landed).
        const profileId = starting.profileId
        const last = profileId ? readLastPosition(sessionStorage, profileId, titleId) : null
        const resumed = { ...play, resume_s: resumeFrom(play.resume_s, last, Date.now()) }
        dispatch({ type: 'started', play: resumed, session: sessionStore().get() ?? starting })
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted || error instanceof SessionExpired) return
        if (error instanceof StreamLimitError) {
          dispatch({ type: 'limited', message: error.message, devices: error.devices })
        } else if (error instanceof TitleError) {
          dispatch({ type: 'failed', problem: error.problem, message: error.message })
        } else if (error instanceof NetworkProblem) {
          dispatch({
            type: 'failed',
            problem: 'unavailable',
            message: 'The service cannot be reached. Try again in a moment.',
          })
        } else {
          console.error('starting the play failed', error)
          dispatch({ type: 'failed', problem: 'unavailable', message: 'The play could not start.' })
        }
      })
    return () => abort.abort()
  }, [starting, titleId, device])

  // While playing: heartbeat and bookmark every heartbeat_s; stop on hide or leave.
  const playing = state.step === 'playing' ? state : null
  useEffect(() => {
    if (!playing) return
    const { play } = playing
    // The graph client sends (and refreshes) the session's tokens itself.
    const profileId = playing.session.profileId
    let stopped = false
    const save = (keepalive: boolean) => {
      const mark = bookmarkRef.current()
      if (!mark || !profileId) return
      // Synchronous, so it is there for the next page even when the request is not yet.
      keepLastPosition(sessionStorage, profileId, titleId, mark, Date.now())
      saveBookmark(runOperation, titleId, mark, keepalive).catch((error: unknown) =>
        console.warn('the bookmark was not saved', error),
      )
    }
    const timer = window.setInterval(() => {
      heartbeat(runOperation, play.play_id).catch((error: unknown) => {
          if (error instanceof PlayEndedError) {
            window.clearInterval(timer)
            dispatch({ type: 'ended', message: error.message })
          } else if (error instanceof SessionExpired) {
            // The client has sent the viewer to sign in.
            window.clearInterval(timer)
          } else {
            // The lease outlives a few missed beats (90 s); the next one may get through.
            console.warn('heartbeat failed', error)
          }
        })
      save(false)
    }, play.heartbeat_s * 1000)
    const stop = (leaving: boolean) => {
      if (stopped) return
      stopped = true
      window.clearInterval(timer)
      save(leaving)
      stopPlay(runOperation, play.play_id, leaving).catch((error: unknown) => console.warn('stopping the play failed', error))
    }
    const onPageHide = () => stop(true)
    window.addEventListener('pagehide', onPageHide)
    return () => {
      window.removeEventListener('pagehide', onPageHide)
      stop(false)
    }
  }, [playing, titleId])

  const retry = useCallback(() => dispatch({ type: 'retry' }), [])
  return { state, signIn: doSignIn, choose, retry }
}

// Waits between tries of a play start the graph could not answer (a router
// still composing, an instance restarting): about 7 s in all, then the page
// offers a retry. A repeated start is safe: a device's new play replaces its
// earlier one on playback.
const START_RETRIES_MS = [500, 1000, 2000, 4000]

async function startWithRetries(titleId: string, device: Device, signal: AbortSignal) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startPlay(runOperation, titleId, device)
    } catch (error) {
      const wait = START_RETRIES_MS[attempt]
      if (!(error instanceof NetworkProblem) || wait === undefined || signal.aborted) throw error
      await new Promise((resolve) => setTimeout(resolve, wait))
    }
  }
}

function messageOf(error: unknown): string {
  if (error instanceof SessionError || error instanceof TitleError) return error.message
  console.error('signing in failed', error)
  return 'Something went wrong. Try again in a moment.'
}
