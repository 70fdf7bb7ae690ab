// Where this tab last left a title, kept beside the server's bookmark.
//
// On leaving, the page sends the bookmark with `keepalive`; a page reloaded
// at once can start its play before that request has landed, and playback
// then answers with the older bookmark (a heartbeat's, up to heartbeat_s
// behind). The tab itself knows better: the position is written to its
// storage synchronously on page hide, and the next page resumes from it when
// it is recent enough that the server may not have it yet. Older than that,
// the server's bookmark is the truth (it has this tab's last write by then,
// and perhaps a later one from another device). sessionStorage, like the
// session itself: it survives a reload and ends with the tab.

import type { Bookmark } from '../../api/playback.ts'

const KEY = 'reelstack.lastPosition.'
/** How long the tab's own position beats the server's: well past a keepalive's landing. */
export const TRUST_MS = 120_000
/** As playback: a title watched this far starts again. */
const FINISHED_AT = 0.9

/** The last position of one title for one profile in this tab. */
export interface LastPosition {
  titleId: string
  position_s: number
  duration_s: number
  savedAtMs: number
}

/** Keep `mark` as the profile's last position (one title per profile: the one being watched). */
export function keepLastPosition(
  storage: Storage,
  profileId: string,
  titleId: string,
  mark: Pick<Bookmark, 'position_s' | 'duration_s'>,
  nowMs: number,
): void {
  const last: LastPosition = {
    titleId,
    position_s: mark.position_s,
    duration_s: mark.duration_s,
    savedAtMs: nowMs,
  }
  try {
    storage.setItem(KEY + profileId, JSON.stringify(last))
  } catch (error) {
    // Storage full or refused: the server's bookmark still resumes, a little behind.
    console.warn('the last position was not kept', error)
  }
}

/** The profile's kept position in `titleId`, or null (none, another title, unreadable). */
export function readLastPosition(
  storage: Storage,
  profileId: string,
  titleId: string,
): LastPosition | null {
  try {
    const raw = JSON.parse(storage.getItem(KEY + profileId) ?? 'null') as Partial<LastPosition> | null
    if (!raw || raw.titleId !== titleId) return null
    const { position_s: position, duration_s: duration, savedAtMs } = raw
    if (
      typeof position !== 'number' ||
      typeof duration !== 'number' ||
      typeof savedAtMs !== 'number' ||
      !(duration > 0) ||
      !(position >= 0 && position <= duration)
    ) {
      return null
    }
    return { titleId, position_s: position, duration_s: duration, savedAtMs }
  } catch {
    return null
  }
}

/**
 * Where to resume: the tab's own last position when it was kept within
 * TRUST_MS (from the start if it was at the end), else the server's
 * bookmark. A kept time in the future (a clock set back) is not trusted.
 */
export function resumeFrom(serverS: number, last: LastPosition | null, nowMs: number): number {
  if (!last) return serverS
  const age = nowMs - last.savedAtMs
  if (age < 0 || age > TRUST_MS) return serverS
  return last.position_s >= FINISHED_AT * last.duration_s ? 0 : last.position_s
}
