import Hls from 'hls.js'
import { useEffect, useState, type RefObject } from 'react'
import { keyRequestSetup } from './keyRequests.ts'

const HLS_MIME = 'application/vnd.apple.mpegurl'

export interface HlsPlayback {
  /** Renditions hls.js will play, once the master playlist is parsed (null before, or natively). */
  levels: number | null
  /** Why playback stopped for good, for the viewer; null while all is well. */
  failure: string | null
}

/**
 * Play the HLS stream at `src` in the video element: through hls.js (Media
 * Source Extensions) wherever it works, else the browser's own HLS (Safari on
 * iOS). Playback starts by itself, muted if the browser refuses sound without
 * a click.
 */
/** Where to start, and the token the key requests of an encrypted title carry. */
export interface HlsOptions {
  startPosition: number
  accessToken: string | null
}


export function useHlsPlayback(
  videoRef: RefObject<HTMLVideoElement | null>,
  src: string | null,
  options: HlsOptions = { startPosition: 0, accessToken: null },
): HlsPlayback {
  const [levels, setLevels] = useState<number | null>(null)
  const [failure, setFailure] = useState<string | null>(null)
  const [unsupported] = useState(
    () => !Hls.isSupported() && document.createElement('video').canPlayType(HLS_MIME) === '',
  )

  useEffect(() => {
    const video = videoRef.current
    if (!video || !src || unsupported) return
    const startPosition = options.startPosition
    const accessToken = options.accessToken
    if (!Hls.isSupported()) {
      // Safari's own HLS cannot add a header to key requests: encrypted titles
      // play only through hls.js.
      video.src = src
      if (startPosition > 0) {
        video.addEventListener('loadedmetadata', () => (video.currentTime = startPosition), {
          once: true,
        })
      }
      start(video)
      return () => {
        video.removeAttribute('src')
        video.load()
      }
    }
    const hls = new Hls({
      startPosition: startPosition > 0 ? startPosition : -1,
      xhrSetup: keyRequestSetup(accessToken, window.location.href),
    })
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      setLevels(data.levels.length)
      start(video)
    })
    hls.on(Hls.Events.ERROR, (_event, data) => {
      // hls.js retries non-fatal errors itself; a fatal one has stopped playback.
      if (data.fatal) setFailure(`Playback failed (${data.type}: ${data.details}).`)
    })
    hls.loadSource(src)
    hls.attachMedia(video)
    return () => hls.destroy()
  }, [videoRef, src, unsupported, options.startPosition, options.accessToken])

  return {
    levels,
    failure: unsupported ? 'This browser cannot play HLS video.' : failure,
  }
}

function start(video: HTMLVideoElement): void {
  video.play().catch((error: unknown) => {
    if (error instanceof DOMException && error.name === 'NotAllowedError' && !video.muted) {
      // Browsers start a video without a click only when it is muted.
      video.muted = true
      start(video)
      return
    }
    // Still paused: the controls let the viewer start it.
    console.warn('playback did not start by itself', error)
  })
}
