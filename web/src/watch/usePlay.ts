import { useCallback, useEffect, useReducer, useRef } from 'react'
import { TitleError } from '../api/media.ts'
import {
  heartbeat,
  isRefusedToken,
  PlayEndedError,
  saveBookmark,
  startPlay,
  stopPlay,
  StreamLimitError,
  type Bookmark,
  type Device,
} from '../api/playback.ts'
import {
  chooseProfile,
  clearSession,
  createProfile,
  listProfiles,
  loadSession,
  saveSession,
  SessionError,
  signIn,
  withFreshToken,
  type Profile,
  type Session,
} from '../api/session.ts'
import { initialState, onlyProfile, reduce, type PlayState } from './playState.ts'

const FIRST_PROFILE = 'Me'

export interface PlayControls {
  state: PlayState
  signIn: (email: string, password: string) => void
  choose: (profile: Profile, pin: string | null) => void
  retry: () => void
}

/**
 * The play of `titleId` for this browser's session: signs in and picks a
 * profile when asked, starts the play, renews its lease and saves the
 * bookmark every `heartbeat_s`, and stops it when the page is hidden or left.
 * `bookmark` reads where the video stands (null while it has no duration).
 */
export function usePlay(
  titleId: string,
  device: Device,
  bookmark: () => Bookmark | null,
): PlayControls {
  const [state, dispatch] = useReducer(reduce, null, () => initialState(loadSession()))
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

  const session = 'session' in state ? state.session : null
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
    withFreshToken(
      starting,
      (session) => startPlay(session, titleId, device, { signal: abort.signal }),
      isRefusedToken,
    )
      .then(({ result: play, session }) => {
        if (session !== starting) saveSession(session)
        dispatch({ type: 'started', play, session })
      })
      .catch((error: unknown) => {
        if (abort.signal.aborted) return
        if (error instanceof StreamLimitError) {
          dispatch({ type: 'limited', message: error.message, devices: error.devices })
        } else if (error instanceof SessionError) {
          clearSession()
          dispatch({ type: 'failed', problem: 'unauthorized', message: error.message })
        } else if (error instanceof TitleError) {
          if (error.problem === 'unauthorized') clearSession()
          dispatch({ type: 'failed', problem: error.problem, message: error.message })
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
    // Replaced when the tokens are refreshed mid-play.
    let current: Session = playing.session
    const profileId = current.profileId
    let stopped = false
    const save = (keepalive: boolean) => {
      const mark = bookmarkRef.current()
      if (!mark || !profileId) return
      saveBookmark(current, profileId, titleId, mark, { keepalive }).catch((error: unknown) =>
        console.warn('the bookmark was not saved', error),
      )
    }
    const timer = window.setInterval(() => {
      withFreshToken(current, (session) => heartbeat(session, play.play_id), isRefusedToken)
        .then(({ session }) => {
          if (session !== current) {
            current = session
            saveSession(session)
          }
        })
        .catch((error: unknown) => {
          if (error instanceof PlayEndedError) {
            window.clearInterval(timer)
            dispatch({ type: 'ended', message: error.message })
          } else if (error instanceof SessionError) {
            window.clearInterval(timer)
            clearSession()
            dispatch({ type: 'failed', problem: 'unauthorized', message: error.message })
          } else {
            // The lease outlives a few missed beats (90 s); the next one may get through.
            console.warn('heartbeat failed', error)
          }
        })
      save(false)
    }, play.heartbeat_s * 1000)
    const stop = () => {
      if (stopped) return
      stopped = true
      window.clearInterval(timer)
      save(true)
      stopPlay(current, play.play_id).catch((error: unknown) =>
        console.warn('stopping the play failed', error),
      )
    }
    window.addEventListener('pagehide', stop)
    return () => {
      window.removeEventListener('pagehide', stop)
      stop()
    }
  }, [playing, titleId])

  const retry = useCallback(() => dispatch({ type: 'retry' }), [])
  return { state, signIn: doSignIn, choose, retry }
}

function messageOf(error: unknown): string {
  if (error instanceof SessionError || error instanceof TitleError) return error.message
  console.error('signing in failed', error)
  return 'Something went wrong. Try again in a moment.'
}
