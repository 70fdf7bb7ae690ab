import { useCallback, useEffect, useRef, useState } from 'react'
import './player.css'
import { fetchCatalogTitle, type CatalogTitle } from '../api/catalog.ts'
import { bookmarkOf, type Device } from '../api/playback.ts'
import { ProfilePicker, SignInForm } from './SignIn.tsx'
import { deviceId, deviceName } from './playState.ts'
import { useHlsPlayback } from './engine/useHlsPlayback.ts'
import { Player, takeAutoplay } from './Player.tsx'
import { useQoe } from './qoe/useQoe.ts'
import { usePlay } from './usePlay.ts'

type VideoState = 'loading' | 'playing' | 'paused' | 'buffering' | 'ended'

function thisDevice(): Device {
  return {
    id: deviceId(localStorage, () => crypto.randomUUID()),
    name: deviceName(navigator.userAgent),
  }
}

/**
 * The player page at /watch/<titleId>: signs the viewer in (and picks a
 * profile) when the tab has no session, starts a play on playback and plays
 * its signed manifest from the saved position. The player element carries
 * its state for anyone observing the page (tests, monitoring): `data-state`
 * (sign-in, profiles, loading, playing, paused, buffering, ended, error),
 * `data-levels` (the renditions hls.js found) and `data-error` (what went
 * wrong: not-found, unauthorized, unavailable, stream-limit, ended, playback).
 */
export default function WatchPage({ titleId }: { titleId: string }) {
  const [device] = useState(thisDevice)
  // From asking playback for the play to the first frame is the startup time
  // telemetry reports (signing in first is the viewer's time, not the player's).
  const [requestedAtMs, setRequestedAtMs] = useState(() => Date.now())
  const [autoplayed] = useState(() => takeAutoplay(titleId))
  const videoRef = useRef<HTMLVideoElement>(null)
  const bookmark = useCallback(
    () => (videoRef.current ? bookmarkOf(videoRef.current, device.id, new Date()) : null),
    [device],
  )
  const { state, signIn, choose, retry } = usePlay(titleId, device, bookmark)
  const play = state.step === 'playing' ? state.play : null
  const starting = state.step === 'starting'
  useEffect(() => {
    if (starting) setRequestedAtMs(Date.now())
  }, [starting])
  const session = ('session' in state ? state.session : null) ?? null
  const qoe = useQoe(
    videoRef,
    session,
    play
      ? { playId: play.play_id, titleId, deviceId: device.id, startedAtMs: requestedAtMs }
      : null,
  )
  const playback = useHlsPlayback(
    videoRef,
    play?.manifest_url ?? null,
    {
      startPosition: play?.resume_s ?? 0,
      accessToken: session?.accessToken ?? null,
      cmcd: play ? { sessionId: play.play_id, contentId: titleId } : undefined,
    },
    qoe,
  )
  const [position, setPosition] = useState(0)
  const [duration, setDuration] = useState(0)
  const [videoState, setVideoState] = useState<VideoState>('loading')
  const [videoError, setVideoError] = useState<string | null>(null)
  const title = useCatalogTitle(titleId, play ? session : null)

  useEffect(() => {
    document.title = title ? `${title.name} · reelstack` : 'reelstack'
  }, [title])

  let shown: string = state.step === 'starting' ? 'loading' : state.step
  let problem: string | null = null
  let message: string | null = null
  if (state.step === 'playing') {
    shown = videoState
    if (playback.failure || videoError) {
      shown = 'error'
      problem = 'playback'
      message = playback.failure ?? videoError
    }
  } else if (state.step === 'limit') {
    shown = 'error'
    problem = 'stream-limit'
    message = state.message
  } else if (state.step === 'error') {
    problem = state.problem
    message = state.message
  } else if (state.step === 'sign-in' && state.message) {
    problem = 'unauthorized'
  }

  return (
    <main className="watch">
      <section
        className="player"
        data-testid="player"
        data-state={shown}
        data-levels={playback.rungs?.length ?? undefined}
        data-error={problem ?? undefined}
        aria-busy={shown === 'loading'}
      >
        <h1 className="player-title">
          {title?.name ?? (state.step === 'error' ? 'Unavailable' : 'Watch')}
        </h1>
        {state.step === 'sign-in' && <SignInForm message={state.message} onSubmit={signIn} />}
        {state.step === 'profiles' && (
          <ProfilePicker profiles={state.profiles} message={state.message} onChoose={choose} />
        )}
        {play && session && (
          <Player
            videoRef={videoRef}
            playback={playback}
            play={play}
            session={session}
            titleId={titleId}
            position={position}
            duration={duration}
            autoplayed={autoplayed}
            failed={problem === 'playback'}
            onRetry={() => {
              setVideoError(null)
              playback.retry()
            }}
          >
            <video
              ref={videoRef}
              className="player-video"
              // Its controls are one stop each for the keyboard: the video names what they play.
              aria-label={title ? `Video: ${title.name}` : 'Video'}
              poster={title?.artwork.poster ?? undefined}
              controls
              playsInline
              onPlaying={() => {
                setVideoState('playing')
                setVideoError(null)
              }}
              onTimeUpdate={(event) => setPosition(event.currentTarget.currentTime)}
              onDurationChange={(event) => setDuration(event.currentTarget.duration)}
              onPause={() => setVideoState('paused')}
              onWaiting={() => setVideoState('buffering')}
              onEnded={() => setVideoState('ended')}
              onError={(event) => {
                const code = event.currentTarget.error?.code ?? 0
                setVideoError(`The video could not be played (media error ${code}).`)
              }}
            />
          </Player>
        )}
        {message && (
          <p role="alert" className="player-error">
            {message}
          </p>
        )}
        {state.step === 'error' && state.problem === 'unavailable' && state.session && (
          <button type="button" onClick={retry}>
            Try again
          </button>
        )}
        {state.step === 'limit' && (
          <div className="stream-limit">
            <p>Playing now on your account:</p>
            <ul data-testid="devices">
              {state.devices.map((active) => (
                <li key={active.device_id}>
                  {active.name} (since {new Date(active.since).toLocaleTimeString()})
                </li>
              ))}
            </ul>
            <button type="button" onClick={retry}>
              Try again
            </button>
          </div>
        )}
      </section>
      <a className="back" href="/">
        Back to reelstack
      </a>
    </main>
  )
}

/** The catalog's title for the page's heading, once a play has started (best effort). */
function useCatalogTitle(
  titleId: string,
  session: Parameters<typeof fetchCatalogTitle>[0] | null,
): CatalogTitle | null {
  const [title, setTitle] = useState<CatalogTitle | null>(null)
  useEffect(() => {
    if (!session) return
    const abort = new AbortController()
    fetchCatalogTitle(session, titleId, abort.signal)
      .then(setTitle)
      .catch((error: unknown) => {
        if (!abort.signal.aborted) console.warn('the title could not be loaded', error)
      })
    return () => abort.abort()
  }, [session, titleId])
  return title
}
