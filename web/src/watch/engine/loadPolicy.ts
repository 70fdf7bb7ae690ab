// How hls.js loads playlists and segments, tuned for edge failover.
//
// Playback's manifest lists every rung once per edge, as HLS redundant
// variant streams; hls.js makes each edge a pathway and moves to the next
// pathway once a request has used up its retries on the current one. Its
// defaults (10 s to a first byte, 4 timeout retries, 6 error retries backing
// off to 8 s) suit one CDN hostname that may recover; here another edge is
// waiting, so a dead edge should cost a few seconds, not half a minute. The
// edges are near the viewer: a first byte later than a few seconds means the
// edge is gone or hung, and a retry on it is worth one short try.

import type { HlsConfig, LoadPolicy } from 'hls.js'

/** A load policy: a short wait for the first byte, one quick retry, then the next edge. */
function policy(firstByteMs: number, loadMs: number, retries: number): LoadPolicy {
  return {
    default: {
      maxTimeToFirstByteMs: firstByteMs,
      maxLoadTimeMs: loadMs,
      timeoutRetry: { maxNumRetry: retries, retryDelayMs: 0, maxRetryDelayMs: 0 },
      errorRetry: { maxNumRetry: retries, retryDelayMs: 250, maxRetryDelayMs: 1000 },
    },
  }
}

/** The hls.js settings for failover: load policies, and how long a failed edge stays out. */
export const FAILOVER_CONFIG: Pick<
  HlsConfig,
  | 'manifestLoadPolicy'
  | 'playlistLoadPolicy'
  | 'fragLoadPolicy'
  | 'keyLoadPolicy'
  | 'errorPenaltyExpireMs'
> = {
  // The master playlist comes from playback itself (no other pathway to try):
  // a little more patience, still far below hls.js's defaults.
  manifestLoadPolicy: policy(5_000, 10_000, 2),
  playlistLoadPolicy: policy(3_000, 8_000, 1),
  // A segment is a few seconds of video; on a slow link its whole load may
  // take long, so only the first byte is held to a short limit.
  fragLoadPolicy: policy(3_000, 30_000, 1),
  keyLoadPolicy: policy(3_000, 8_000, 1),
  // A dead edge stays out for a minute before hls.js tries it again.
  errorPenaltyExpireMs: 60_000,
}

/**
 * The longest a request can spend on one edge before hls.js gives up on it
 * under `load`: every try waits its full first-byte limit, with the error
 * back-off between tries (the worse of the two retry kinds).
 */
export function worstCaseOnOneEdgeMs(load: LoadPolicy): number {
  const rules = load.default
  let total = 0
  const timeouts = rules.timeoutRetry?.maxNumRetry ?? 0
  total += (timeouts + 1) * rules.maxTimeToFirstByteMs
  const errors = rules.errorRetry
  if (errors) {
    for (let attempt = 0; attempt < errors.maxNumRetry; attempt++) {
      total += Math.min(errors.retryDelayMs * 2 ** attempt, errors.maxRetryDelayMs)
    }
  }
  return total
}
