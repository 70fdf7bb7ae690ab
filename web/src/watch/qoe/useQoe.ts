import { useEffect, useMemo, useRef, type RefObject } from 'react'
import { authorization, type Session } from '../../api/session.ts'
import type { EngineEvents } from '../engine/useHlsPlayback.ts'
import { TelemetryBatcher, type QoeEvent } from './telemetry.ts'

const EVENTS_URL = '/api/events'

function sender(session: Session | null) {
  return async (events: QoeEvent[], keepalive: boolean): Promise<boolean> => {
    if (!session) return true // nobody to send as: drop, never retry forever
    const response = await fetch(EVENTS_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authorization(session) },
      body: JSON.stringify({ events }),
      keepalive,
    })
    // A 4xx will not get better by sending the batch again: drop it, say so.
    if (response.status >= 400 && response.status < 500) {
      console.warn('telemetry refused', response.status, await response.text().catch(() => ''))
      return true
    }
    return response.ok
  }
}

const ms = (seconds: number) => Math.max(0, Math.round(seconds * 1000))

/**
 * QoE telemetry of one play: startup time (from the page asking for the
 * play to the first frame playing), rebuffers, bitrate switches and errors,
 * batched to the events service and flushed when the page is hidden.
 * Returns the engine's callbacks for switches and errors.
 */
export function useQoe(
  videoRef: RefObject<HTMLVideoElement | null>,
  session: Session | null,
  play: { playId: string; titleId: string; deviceId: string; startedAtMs: number } | null,
): EngineEvents {
  const sessionRef = useRef(session)
  sessionRef.current = session
  const playId = play?.playId ?? null
  const batcher = useMemo(
    () =>
      playId
        ? new TelemetryBatcher(playId, { send: (events, keep) => sender(sessionRef.current)(events, keep) })
        : null,
    [playId],
  )
  const playRef = useRef(play)
  playRef.current = play

  useEffect(() => {
    const video = videoRef.current
    if (!batcher || !video) return
    let started = false
    let stalledAt: number | null = null
    const position = () => ms(video.currentTime)
    const onPlaying = () => {
      const info = playRef.current
      if (!started && info) {
        started = true
        batcher.record('play_start', {
          title: info.titleId,
          startup_ms: Math.min(600_000, Math.max(0, Math.round(Date.now() - info.startedAtMs))),
          position_ms: position(),
          device: info.deviceId.slice(0, 64),
        })
      } else if (stalledAt !== null) {
        batcher.record('rebuffer_end', {
          position_ms: position(),
          duration_ms: Math.round(performance.now() - stalledAt),
        })
      }
      stalledAt = null
    }
    const onWaiting = () => {
      // Before the first frame, waiting is startup, not a rebuffer.
      if (!started || stalledAt !== null || video.seeking) return
      stalledAt = performance.now()
      batcher.record('rebuffer_start', { position_ms: position() })
    }
    const onPause = () => {
      if (started && !video.ended) batcher.record('pause', { position_ms: position() })
    }
    const onHide = () => {
      if (document.visibilityState === 'hidden') batcher.flush(true)
    }
    const onPageHide = () => {
      batcher.record('stop', { position_ms: position(), reason: 'background' })
      batcher.flush(true)
    }
    video.addEventListener('playing', onPlaying)
    video.addEventListener('waiting', onWaiting)
    video.addEventListener('pause', onPause)
    document.addEventListener('visibilitychange', onHide)
    window.addEventListener('pagehide', onPageHide)
    return () => {
      video.removeEventListener('playing', onPlaying)
      video.removeEventListener('waiting', onWaiting)
      video.removeEventListener('pause', onPause)
      document.removeEventListener('visibilitychange', onHide)
      window.removeEventListener('pagehide', onPageHide)
      batcher.record('stop', { position_ms: position(), reason: video.ended ? 'ended' : 'user' })
      batcher.flush(true)
    }
  }, [batcher, videoRef])

  return useMemo(
    () => ({
      onRungSwitch: (fromKbps: number, toKbps: number, manual: boolean) =>
        batcher?.record('bitrate_switch', {
          position_ms: ms(videoRef.current?.currentTime ?? 0),
          from_kbps: fromKbps,
          to_kbps: toKbps,
          reason: manual ? 'manual' : 'abr',
        }),
      onError: (code: string, fatal: boolean) =>
        batcher?.record('error', {
          code: code.slice(0, 64),
          fatal,
          position_ms: ms(videoRef.current?.currentTime ?? 0),
        }),
    }),
    [batcher, videoRef],
  )
}
