import { useCallback, useEffect, useRef, useState, type ReactNode, type RefObject } from 'react'
import type { Play } from '../api/playback.ts'
import { navigate } from '../route.ts'
import type { Session } from '../api/session.ts'
import { Menus } from './controls/Menus.tsx'
import { ShortcutHelp } from './controls/ShortcutHelp.tsx'
import type { HlsPlayback } from './engine/useHlsPlayback.ts'
import { useShortcuts } from './keys/useShortcuts.ts'
import { NextEpisode, SkipIntro } from './markers/Markers.tsx'
import { SeekPreview } from './seek/SeekPreview.tsx'
import { StillWatching } from './still/StillWatching.tsx'
import { useStillWatching } from './still/useStillWatching.ts'

const AUTOPLAY_KEY = 'reelstack.autoplay'

/** Whether this page's title was started by the previous episode's countdown (read once). */
export function takeAutoplay(titleId: string): boolean {
  const autoplayed = sessionStorage.getItem(AUTOPLAY_KEY) === titleId
  sessionStorage.removeItem(AUTOPLAY_KEY)
  return autoplayed
}

/** Open the next episode's watch page; `byCountdown` counts toward "still watching?". */
function playNext(nextId: string, byCountdown: boolean): void {
  if (byCountdown) sessionStorage.setItem(AUTOPLAY_KEY, nextId)
  // The app remounts the watch page for the new title: this play stops, the next starts.
  navigate(`/watch/${encodeURIComponent(nextId)}`)
}

/**
 * The player's own controls around the video (`children`): Skip Intro, the
 * next-episode countdown and "Are you still watching?" over the picture, so
 * they show without scrolling at any window size; the seek bar with its
 * preview, a retry when the engine gave up, the menus and the keyboard
 * shortcuts below it.
 */
export function Player({
  children,
  videoRef,
  playback,
  play,
  session,
  titleId,
  position,
  duration,
  autoplayed,
  failed,
  onRetry,
}: {
  children: ReactNode
  videoRef: RefObject<HTMLVideoElement | null>
  playback: HlsPlayback
  play: Play
  session: Session
  titleId: string
  position: number
  duration: number
  autoplayed: boolean
  /** Playback stopped (the engine gave up, or the element could not decode). */
  failed: boolean
  onRetry: () => void
}) {
  const [help, setHelp] = useState(false)
  const still = useStillWatching(session.profileId ?? null, autoplayed)
  const toggleHelp = useCallback(() => setHelp((open) => !open), [])
  useShortcuts(videoRef, toggleHelp, still.input)
  const seek = useCallback(
    (to: number) => {
      if (videoRef.current) videoRef.current.currentTime = to
    },
    [videoRef],
  )
  // While asking, the video stays paused: also when the engine starts it
  // after the question (an autoplayed episode is asked about as it loads).
  const holding = useRef(false)
  useEffect(() => {
    holding.current = still.asking
    const video = videoRef.current
    if (!still.asking || !video) return
    const hold = () => {
      if (holding.current) video.pause()
    }
    hold()
    video.addEventListener('play', hold)
    return () => video.removeEventListener('play', hold)
  }, [still.asking, videoRef])
  return (
    <>
      <div className="player-stage">
        {children}
        <div className="player-overlay">
          <SkipIntro intro={play.intro} position={position} onSkip={seek} />
          {!still.asking && (
            <NextEpisode
              creditsStart={play.credits_start_s}
              nextId={play.next_episode_id}
              position={position}
              onNext={playNext}
            />
          )}
        </div>
        {still.asking && (
          <StillWatching
            onContinue={() => {
              holding.current = false
              still.answered()
              videoRef.current?.play().catch((error: unknown) => console.warn('play refused', error))
            }}
            onLeave={() => navigate('/')}
          />
        )}
      </div>
      <SeekPreview
        videoRef={videoRef}
        session={session}
        titleId={titleId}
        duration={duration}
        position={position}
      />
      {failed && (
        <button type="button" className="player-retry" onClick={onRetry}>
          Try again
        </button>
      )}
      <Menus playback={playback} />
      <ShortcutHelp open={help} onToggle={toggleHelp} />
    </>
  )
}
