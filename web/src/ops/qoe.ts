// QoE by region from the events service's cumulative counters, as the
// console shows it: startup quantiles from the summed histogram, and stalls
// per play. Rebuffers per play rather than stalled time over watch time:
// the player reports no watch time (no heartbeats in its telemetry, and
// positions jump with seeks), while every stall and every play is an event.

import type { RegionQoe } from './api.ts'
import { quantile } from './rates.ts'

export interface QoeRow {
  region: string
  plays: number
  /** Startup time quantiles in seconds; null before the region's first play. */
  startupP50: number | null
  startupP90: number | null
  /** Stalls after the first frame per play started; null without plays. */
  rebuffersPerPlay: number | null
  /** Seconds stalled per play started; null without plays. */
  stalledSecondsPerPlay: number | null
  errors: number
}

/** The events service's label for regions it does not name (malformed, or past its cap). */
export const OTHER_REGION = 'other'

function perPlay(value: number, plays: number): number | null {
  return plays > 0 ? value / plays : null
}

/** One row per region, busiest first, "other" last; empty when nothing was counted. */
export function qoeRows(byRegion: Record<string, RegionQoe> | null): QoeRow[] {
  if (!byRegion) return []
  const rows = Object.entries(byRegion).map(([region, q]) => ({
    region,
    plays: q.plays,
    startupP50: quantile(0.5, q.startup.buckets, undefined),
    startupP90: quantile(0.9, q.startup.buckets, undefined),
    rebuffersPerPlay: perPlay(q.rebuffers, q.plays),
    stalledSecondsPerPlay: perPlay(q.rebuffer_seconds, q.plays),
    errors: q.errors,
  }))
  return rows.sort(
    (a, b) =>
      Number(a.region === OTHER_REGION) - Number(b.region === OTHER_REGION) ||
      b.plays - a.plays ||
      a.region.localeCompare(b.region),
  )
}
