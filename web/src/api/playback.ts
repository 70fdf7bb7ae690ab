// Playback's shapes and errors, the stop on page hide (/api/playback) and the
// bookmark history keeps (/api/history). Plays start and beat through the
// graph (plays.ts); the stop on page hide stays here because only a plain
// fetch with `keepalive` outlives the page.

import { authorization, type Session } from './session.ts'
import { TitleError } from './media.ts'

/** The device the browser plays on, as playback sees it. */
export interface Device {
  id: string
  name: string
  codecs?: string[]
  max_height?: number
}

/** A started play: where to fetch the stream and how to keep the lease. */
export interface Play {
  play_id: string
  lease_expires_at: string
  heartbeat_s: number
  manifest_url: string
  resume_s: number
  intro: { start_s: number; end_s: number } | null
  credits_start_s: number | null
  next_episode_id: string | null
}

/** A device holding one of the account's streams. */
export interface ActiveDevice {
  device_id: string
  name: string
  title_id: string
  since: string
}

/** The plan's stream limit is reached: the devices holding the streams. */
export class StreamLimitError extends Error {
  readonly devices: ActiveDevice[]

  constructor(message: string, devices: ActiveDevice[]) {
    super(message)
    this.name = 'StreamLimitError'
    this.devices = devices
  }
}

/** The play is gone (its lease expired or it was stopped elsewhere). */
export class PlayEndedError extends Error {
  constructor() {
    super('This play has ended. Reload the page to watch again.')
    this.name = 'PlayEndedError'
  }
}

const UNREACHABLE = 'The service cannot be reached. Try again in a moment.'

async function call(fetchFn: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetchFn(url, init)
  } catch (error) {
    if (init.signal?.aborted) throw error
    throw new TitleError('unavailable', UNREACHABLE)
  }
}

/**
 * Stop the play, releasing its stream at once. `keepalive` lets the request
 * outlive the page (on page hide), with its Authorization header, which
 * `navigator.sendBeacon` cannot send.
 */
export function stopPlay(
  session: Session,
  playId: string,
  fetchFn: typeof fetch = fetch,
): Promise<Response> {
  return fetchFn(`/api/playback/plays/${encodeURIComponent(playId)}`, {
    method: 'DELETE',
    headers: authorization(session),
    keepalive: true,
  })
}

/** Where the profile stands in a title, for history's bookmarks. */
export interface Bookmark {
  position_s: number
  duration_s: number
  device: string
  watched_at: string
}

/** The bookmark of `video` now, or null while there is nothing to record (no duration yet). */
export function bookmarkOf(
  video: { currentTime: number; duration: number },
  device: string,
  now: Date,
): Bookmark | null {
  const duration = video.duration
  if (!Number.isFinite(duration) || duration <= 0) return null
  const position = Math.min(Math.max(video.currentTime, 0), duration)
  return { position_s: position, duration_s: duration, device, watched_at: now.toISOString() }
}

/** Record a bookmark in the profile's history (the newest by `watched_at` wins). */
export async function saveBookmark(
  session: Session,
  profileId: string,
  titleId: string,
  bookmark: Bookmark,
  options: { keepalive?: boolean; fetchFn?: typeof fetch } = {},
): Promise<void> {
  const url =
    `/api/history/profiles/${encodeURIComponent(profileId)}` +
    `/bookmarks/${encodeURIComponent(titleId)}`
  const response = await call(options.fetchFn ?? fetch, url, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...authorization(session) },
    body: JSON.stringify(bookmark),
    keepalive: options.keepalive,
  })
  if (!response.ok) {
    throw new TitleError('unavailable', `The bookmark was not saved (HTTP ${response.status}).`)
  }
}
