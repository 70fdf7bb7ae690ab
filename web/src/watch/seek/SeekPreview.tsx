import { useEffect, useState, type RefObject } from 'react'
import { authorization, type Session } from '../../api/session.ts'
import { parseTrickplay, thumbnailAt, type Thumbnail } from './trickplay.ts'

/** The title's trickplay thumbnails (from media's title view), empty when it has none. */
function useTrickplay(session: Session | null, titleId: string): Thumbnail[] {
  const [thumbnails, setThumbnails] = useState<Thumbnail[]>([])
  useEffect(() => {
    if (!session) return
    const abort = new AbortController()
    const headers = { accept: 'application/json', ...authorization(session) }
    ;(async () => {
      const title = await fetch(`/api/media/titles/${encodeURIComponent(titleId)}`, {
        headers,
        signal: abort.signal,
      })
      if (!title.ok) return
      const { trickplay_url: url } = (await title.json()) as { trickplay_url?: string | null }
      if (!url) return
      const vttUrl = new URL(url, window.location.href).href
      const track = await fetch(vttUrl, { signal: abort.signal })
      if (track.ok) setThumbnails(parseTrickplay(await track.text(), vttUrl))
    })().catch((error: unknown) => {
      // Seeking works without pictures: nothing to tell the viewer.
      if (!abort.signal.aborted) console.warn('no seek preview', error)
    })
    return () => abort.abort()
  }, [session, titleId])
  return thumbnails
}

/**
 * A seek bar with a thumbnail of the frame under the pointer, from the
 * trickplay sprites. It sits above the video's own controls; keyboard users
 * seek with the arrows.
 */
export function SeekPreview({
  videoRef,
  session,
  titleId,
  duration,
  position,
}: {
  videoRef: RefObject<HTMLVideoElement | null>
  session: Session | null
  titleId: string
  duration: number
  position: number
}) {
  const thumbnails = useTrickplay(session, titleId)
  const [hover, setHover] = useState<{ at: number; x: number } | null>(null)
  if (!Number.isFinite(duration) || duration <= 0) return null
  const shown = hover ? thumbnailAt(thumbnails, hover.at) : null
  return (
    <div className="seek">
      <input
        type="range"
        aria-label="Seek"
        min={0}
        max={duration}
        step={1}
        value={Math.min(position, duration)}
        onChange={(event) => {
          if (videoRef.current) videoRef.current.currentTime = Number(event.target.value)
        }}
        onPointerMove={(event) => {
          const box = event.currentTarget.getBoundingClientRect()
          const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width))
          setHover({ at: fraction * duration, x: event.clientX - box.left })
        }}
        onPointerLeave={() => setHover(null)}
      />
      {shown && hover && (
        <div
          className="seek-preview"
          data-testid="seek-preview"
          aria-hidden="true"
          style={{
            left: Math.max(0, hover.x - shown.w / 2),
            width: shown.w,
            height: shown.h,
            backgroundImage: `url("${shown.url}")`,
            backgroundPosition: `-${shown.x}px -${shown.y}px`,
          }}
        />
      )}
    </div>
  )
}
