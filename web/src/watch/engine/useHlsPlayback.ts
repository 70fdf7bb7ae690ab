import Hls, { type ErrorData, type Level } from 'hls.js'
import { useCallback, useEffect, useRef, useState, type RefObject } from 'react'
import { failureMessage } from './failure.ts'
import { keyRequestSetup } from './keyRequests.ts'
import { FAILOVER_CONFIG } from './loadPolicy.ts'

const HLS_MIME = 'application/vnd.apple.mpegurl'

/** One rung of the ladder, for the quality menu. */
export interface Rung {
  index: number
  height: number
  bitrate: number
}

/** An audio or subtitle track hls.js found in the manifest. */
export interface Track {
  index: number
  label: string
}

/** What the player engine reports, and what the menus can change. */
export interface HlsPlayback {
  /** The rungs hls.js will play, once the master playlist is parsed (null before, or natively). */
  rungs: Rung[] | null
  /** The rung chosen by the viewer, or -1 for automatic (ABR). */
  chosenRung: number
  /** The rung playing now (-1 while unknown). */
  playingRung: number
  chooseRung: (index: number) => void
  audioTracks: Track[]
  audioTrack: number
  chooseAudio: (index: number) => void
  subtitleTracks: Track[]
  /** -1: subtitles off. */
  subtitleTrack: number
  chooseSubtitles: (index: number) => void
  /** Why playback stopped for good, in words for the viewer; null while all is well. */
  failure: string | null
  /** Start loading again after a failure (from where the video stands). */
  retry: () => void
}

/** What the engine tells telemetry about. */
export interface EngineEvents {
  onRungSwitch?: (fromKbps: number, toKbps: number, manual: boolean) => void
  onError?: (code: string, fatal: boolean) => void
}

/** Where to start, the token key requests carry, and CMCD's session and content ids. */
export interface HlsOptions {
  startPosition: number
  accessToken: string | null
  cmcd?: { sessionId: string; contentId: string }
}

function rungsOf(levels: Level[]): Rung[] {
  return levels.map((level, index) => ({ index, height: level.height, bitrate: level.bitrate }))
}

function tracksOf(tracks: ReadonlyArray<{ name: string; lang?: string }>): Track[] {
  return tracks.map((track, index) => ({ index, label: track.name || track.lang || `Track ${index + 1}` }))
}

/**
 * Play the HLS stream at `src` in the video element: through hls.js (Media
 * Source Extensions) wherever it works, else the browser's own HLS (Safari on
 * iOS). Playback starts by itself, muted if the browser refuses sound without
 * a click. hls.js loads with the failover policies of loadPolicy.ts and
 * sends CMCD keys (CTA-5004) with its segment requests as a query argument
 * (a header would make every cross-origin edge request preflighted).
 */
export function useHlsPlayback(
  videoRef: RefObject<HTMLVideoElement | null>,
  src: string | null,
  options: HlsOptions = { startPosition: 0, accessToken: null },
  events: EngineEvents = {},
): HlsPlayback {
  const hlsRef = useRef<Hls | null>(null)
  // Set when the viewer picks a rung, so telemetry tells that switch from ABR's.
  const manualRef = useRef(false)
  const eventsRef = useRef(events)
  eventsRef.current = events
  const [rungs, setRungs] = useState<Rung[] | null>(null)
  const [chosenRung, setChosenRung] = useState(-1)
  const [playingRung, setPlayingRung] = useState(-1)
  const [audioTracks, setAudioTracks] = useState<Track[]>([])
  const [audioTrack, setAudioTrack] = useState(-1)
  const [subtitleTracks, setSubtitleTracks] = useState<Track[]>([])
  const [subtitleTrack, setSubtitleTrack] = useState(-1)
  const [failure, setFailure] = useState<string | null>(null)
  const [attempt, setAttempt] = useState(0)
  const [unsupported] = useState(
    () => !Hls.isSupported() && document.createElement('video').canPlayType(HLS_MIME) === '',
  )
  const { startPosition, accessToken } = options
  const sessionId = options.cmcd?.sessionId
  const contentId = options.cmcd?.contentId

  useEffect(() => {
    const video = videoRef.current
    if (!video || !src || unsupported) return
    // A retry starts from where the video stood, not from the bookmark.
    const from = attempt > 0 && video.currentTime > 0 ? video.currentTime : startPosition
    if (!Hls.isSupported()) {
      // Safari's own HLS cannot add a header to key requests: encrypted titles
      // play only through hls.js.
      video.src = src
      if (from > 0) {
        video.addEventListener('loadedmetadata', () => (video.currentTime = from), { once: true })
      }
      start(video)
      return () => {
        video.removeAttribute('src')
        video.load()
      }
    }
    const hls = new Hls({
      ...FAILOVER_CONFIG,
      startPosition: from > 0 ? from : -1,
      xhrSetup: keyRequestSetup(accessToken, window.location.href),
      ...(sessionId ? { cmcd: { sessionId, contentId, useHeaders: false } } : {}),
    })
    hlsRef.current = hls
    let lastBitrate = 0
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      setRungs(rungsOf(data.levels))
      start(video)
    })
    hls.on(Hls.Events.LEVELS_UPDATED, (_event, data) => setRungs(rungsOf(data.levels)))
    hls.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      setPlayingRung(data.level)
      const bitrate = hls.levels[data.level]?.bitrate ?? 0
      if (lastBitrate > 0 && bitrate !== lastBitrate) {
        eventsRef.current.onRungSwitch?.(
          Math.round(lastBitrate / 1000),
          Math.round(bitrate / 1000),
          manualRef.current,
        )
      }
      manualRef.current = false
      lastBitrate = bitrate
    })
    hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, (_event, data) => {
      setAudioTracks(tracksOf(data.audioTracks))
      setAudioTrack(hls.audioTrack)
    })
    hls.on(Hls.Events.AUDIO_TRACK_SWITCHED, (_event, data) => setAudioTrack(data.id))
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, (_event, data) => {
      setSubtitleTracks(tracksOf(data.subtitleTracks))
      setSubtitleTrack(hls.subtitleTrack)
    })
    hls.on(Hls.Events.SUBTITLE_TRACK_SWITCH, (_event, data) => setSubtitleTrack(data.id))
    hls.on(Hls.Events.ERROR, (_event, data: ErrorData) => {
      eventsRef.current.onError?.(String(data.details), data.fatal)
      // hls.js retries non-fatal errors itself, moving to the next edge when
      // one stops answering; a fatal one has stopped playback.
      if (data.fatal) {
        console.warn('playback stopped', data.type, data.details)
        setFailure(failureMessage(data))
      }
    })
    hls.loadSource(src)
    hls.attachMedia(video)
    return () => {
      hlsRef.current = null
      hls.destroy()
    }
  }, [videoRef, src, unsupported, startPosition, accessToken, sessionId, contentId, attempt])

  const chooseRung = useCallback((index: number) => {
    const hls = hlsRef.current
    if (!hls) return
    manualRef.current = true
    // nextLevel switches at the next segment, keeping what is buffered
    // (currentLevel would flush it and stall); -1 gives control back to ABR.
    hls.nextLevel = index
    if (index === -1) hls.loadLevel = -1
    setChosenRung(index)
  }, [])
  const chooseAudio = useCallback((index: number) => {
    if (hlsRef.current) hlsRef.current.audioTrack = index
  }, [])
  const chooseSubtitles = useCallback((index: number) => {
    const hls = hlsRef.current
    if (!hls) return
    hls.subtitleTrack = index
    hls.subtitleDisplay = index >= 0
    setSubtitleTrack(index)
  }, [])
  const retry = useCallback(() => {
    setFailure(null)
    setAttempt((n) => n + 1)
  }, [])

  return {
    rungs,
    chosenRung,
    playingRung,
    chooseRung,
    audioTracks,
    audioTrack,
    chooseAudio,
    subtitleTracks,
    subtitleTrack,
    chooseSubtitles,
    failure: unsupported ? 'This browser cannot play HLS video.' : failure,
    retry,
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
