// Plays through the graph (/graphql): startPlay, heartbeat, stopPlay and the
// bookmark (saveBookmark), the
// persisted operations in src/graphql/. Answers are mapped to the shapes the
// player already uses (playback.ts), and the graph's refusals to its errors:
// STREAM_LIMIT (with the devices), PLAY_ENDED, a title not visible.
// StartPlay asks for playback's fields only: a field of the title (its name)
// would send the router on to catalog before the first frame can load, and
// the page reads the title from catalog beside the play instead.

import { TitleError } from './media.ts'
import {
  PlayEndedError,
  StreamLimitError,
  type ActiveDevice,
  type Bookmark,
  type Device,
  type Play,
} from './playback.ts'

interface Problem {
  message: string
  extensions?: Record<string, unknown>
}

/** runOperation's shape (api/graphql.ts), so this module is testable with a fake. */
export type Run = <TData>(
  name: string,
  variables?: Record<string, unknown>,
  options?: { keepalive?: boolean },
) => Promise<{ data: TData | null; errors: Problem[] }>

interface StartedPlay {
  id: string
  title: { id: string } | null
  manifestUrl: string
  resumeS: number
  leaseExpiresAt: string
  heartbeatS: number
  intro: { startS: number; endS: number } | null
  creditsStartS: number | null
  nextEpisode: { id: string } | null
}


function devicesOf(problem: Problem): ActiveDevice[] {
  const raw = problem.extensions?.devices
  if (!Array.isArray(raw)) return []
  return raw.flatMap((item: unknown) => {
    if (!item || typeof item !== 'object') return []
    const d = item as Record<string, unknown>
    if (typeof d.deviceId !== 'string' || typeof d.name !== 'string') return []
    return [
      {
        device_id: d.deviceId,
        name: d.name,
        title_id: typeof d.titleId === 'string' ? d.titleId : '',
        since: typeof d.since === 'string' ? d.since : new Date(0).toISOString(),
      },
    ]
  })
}

function refusal(problem: Problem): Error {
  const code = problem.extensions?.code
  if (code === 'STREAM_LIMIT') return new StreamLimitError(problem.message, devicesOf(problem))
  if (code === 'PLAY_ENDED') return new PlayEndedError()
  if (/no such (title|play)/i.test(problem.message)) {
    return new TitleError('not-found', 'This title does not exist.')
  }
  return new TitleError('unavailable', `This title cannot be played: ${problem.message}`)
}

/** Start a play of `titleId` on `device` for the session's profile. */
export async function startPlay(run: Run, titleId: string, device: Device): Promise<Play> {
  const { data, errors } = await run<{ startPlay: StartedPlay | null }>('StartPlay', {
    titleId,
    device,
  })
  const started = data?.startPlay
  if (!started) throw errors[0] ? refusal(errors[0]) : new TitleError('unavailable', 'The play could not start.')
  return {
    play_id: started.id,
    lease_expires_at: started.leaseExpiresAt,
    heartbeat_s: started.heartbeatS,
    manifest_url: started.manifestUrl,
    resume_s: started.resumeS,
    intro: started.intro ? { start_s: started.intro.startS, end_s: started.intro.endS } : null,
    credits_start_s: started.creditsStartS,
    next_episode_id: started.nextEpisode?.id ?? null,
  }
}

/** Renew the play's lease; a PlayEndedError when it has ended. */
export async function heartbeat(run: Run, playId: string): Promise<void> {
  const { data, errors } = await run<{ heartbeat: { playId: string } | null }>('Heartbeat', {
    playId,
  })
  if (!data?.heartbeat) throw errors[0] ? refusal(errors[0]) : new TitleError('unavailable', 'No answer.')
}

/**
 * Stop the play: its stream is free at once. With `keepalive` (on page hide)
 * the request outlives the page, bearer token and all, which
 * `navigator.sendBeacon` could not send.
 */
export async function stopPlay(run: Run, playId: string, keepalive = false): Promise<void> {
  const { data, errors } = await run<{ stopPlay: boolean | null }>(
    'StopPlay',
    { playId },
    { keepalive },
  )
  if (!data?.stopPlay && errors[0]) throw refusal(errors[0])
}

/** Save where the profile stands in `titleId` (history keeps the newest by client time). */
export async function saveBookmark(
  run: Run,
  titleId: string,
  mark: Bookmark,
  keepalive = false,
): Promise<void> {
  const bookmark = {
    positionS: mark.position_s,
    durationS: mark.duration_s,
    device: mark.device,
    watchedAt: mark.watched_at,
  }
  const { data, errors } = await run<{ saveBookmark: boolean | null }>(
    'SaveBookmark',
    { titleId, bookmark },
    { keepalive },
  )
  if (data?.saveBookmark == null && errors[0]) throw refusal(errors[0])
}
