// Playback's shapes and errors, and the bookmark a player records. Plays
// start, beat, save bookmarks and stop through the graph (plays.ts).

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

