import { useEffect, useRef, useState } from 'react'
import { useHlsPlayback } from './useHlsPlayback.ts'
import { useTitle } from './useTitle.ts'

type VideoState = 'loading' | 'playing' | 'paused' | 'buffering' | 'ended'

/**
 * The player page at /watch/<titleId>. The player element carries its state
 * for anyone observing the page (tests, monitoring): `data-state`
 * (loading, playing, paused, buffering, ended, error), `data-levels` (the
 * renditions hls.js found) and `data-error` (what went wrong).
 */
export default function WatchPage({ titleId }: { titleId: string }) {
  const load = useTitle(titleId)
  const videoRef = useRef<HTMLVideoElement>(null)
  const src = load.kind === 'ready' ? load.src : null
  const playback = useHlsPlayback(videoRef, src)
  const [videoState, setVideoState] = useState<VideoState>('loading')
  const [videoError, setVideoError] = useState<string | null>(null)

  const title = load.kind === 'loading' ? null : load.title
  useEffect(() => {
    document.title = title ? `${title.name} · reelstack` : 'reelstack'
  }, [title])

  let state: VideoState | 'error' = load.kind === 'ready' ? videoState : load.kind
  let problem: string | null = null
  let message: string | null = null
  if (load.kind === 'error') {
    problem = load.problem
    message = load.message
  } else if (playback.failure || videoError) {
    state = 'error'
    problem = 'playback'
    message = playback.failure ?? videoError
  }

  return (
    <main className="watch">
      <section
        className="player"
        data-testid="player"
        data-state={state}
        data-levels={playback.levels ?? undefined}
        data-error={problem ?? undefined}
        aria-busy={state === 'loading'}
      >
        <h1 className="player-title">{title?.name ?? (state === 'loading' ? 'Loading…' : 'Unavailable')}</h1>
        {src && (
          <video
            ref={videoRef}
            className="player-video"
            poster={title?.poster_url ?? undefined}
            controls
            playsInline
            onPlaying={() => setVideoState('playing')}
            onPause={() => setVideoState('paused')}
            onWaiting={() => setVideoState('buffering')}
            onEnded={() => setVideoState('ended')}
            onError={(event) => {
              const code = event.currentTarget.error?.code ?? 0
              setVideoError(`The video could not be played (media error ${code}).`)
            }}
          />
        )}
        {message && (
          <p role="alert" className="player-error">
            {message}
          </p>
        )}
      </section>
      <a className="back" href="/">
        Back to reelstack
      </a>
    </main>
  )
}
