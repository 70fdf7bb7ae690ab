// Rates from two reads of cumulative counters, as Prometheus' rate() and
// histogram_quantile() would compute them over the interval between reads.

import type { MetricsSnapshot, ServiceMetrics } from './api.ts'

export interface ServiceRates {
  requestsPerS: number
  errorsPerS: number
  /** Latency quantiles over the interval, in seconds; null without requests. */
  p50: number | null
  p99: number | null
}

export interface Rates {
  at: number
  services: Record<string, ServiceRates>
  startsPerS: number | null
  /** Hits over hits and misses (collapsed fetches count as hits); null without edges or traffic. */
  edgeHitRatio: number | null
}

// A counter that went down means an instance restarted: count from zero.
function delta(now: number, before: number): number {
  return now >= before ? now - before : now
}

/** The `q` quantile of the requests between two cumulative histograms (linear within a bucket). */
export function quantile(
  q: number,
  now: [string, number][],
  before: [string, number][] | undefined,
): number | null {
  const prior = new Map(before ?? [])
  const buckets = now.map(([le, count]) => [parseFloat(le), delta(count, prior.get(le) ?? 0)] as const)
  const total = buckets.length > 0 ? buckets[buckets.length - 1][1] : 0
  if (total <= 0) return null
  const rank = q * total
  let lower = 0
  let below = 0
  for (const [bound, cumulative] of buckets) {
    if (cumulative >= rank) {
      // The +Inf bucket has no upper edge: answer its lower one.
      if (!Number.isFinite(bound)) return lower
      const inBucket = cumulative - below
      return inBucket > 0 ? lower + ((bound - lower) * (rank - below)) / inBucket : bound
    }
    lower = Number.isFinite(bound) ? bound : lower
    below = cumulative
  }
  return lower
}

function serviceRates(now: ServiceMetrics, before: ServiceMetrics | undefined, seconds: number): ServiceRates {
  return {
    requestsPerS: delta(now.requests, before?.requests ?? 0) / seconds,
    errorsPerS: delta(now.errors, before?.errors ?? 0) / seconds,
    p50: quantile(0.5, now.latency.buckets, before?.latency.buckets),
    p99: quantile(0.99, now.latency.buckets, before?.latency.buckets),
  }
}

const HITS = ['hit', 'collapsed']
const MISSES = ['miss']

/** Rates between two reads; null when there is no earlier read or no time passed. */
export function ratesBetween(before: MetricsSnapshot | null, now: MetricsSnapshot): Rates | null {
  if (!before) return null
  const seconds = now.at - before.at
  if (!(seconds > 0)) return null
  const services: Record<string, ServiceRates> = {}
  for (const [name, metrics] of Object.entries(now.services)) {
    services[name] = serviceRates(metrics, before.services[name], seconds)
  }
  let edgeHitRatio: number | null = null
  if (now.edge_results) {
    const sum = (kinds: string[]) =>
      kinds.reduce((n, k) => n + delta(now.edge_results?.[k] ?? 0, before.edge_results?.[k] ?? 0), 0)
    const hits = sum(HITS)
    const misses = sum(MISSES)
    edgeHitRatio = hits + misses > 0 ? hits / (hits + misses) : null
  }
  const startsPerS =
    now.play_starts === null ? null : delta(now.play_starts, before.play_starts ?? 0) / seconds
  return { at: now.at, services, startsPerS, edgeHitRatio }
}
