import { describe, expect, it } from 'vitest'
import type { MetricsSnapshot, ServiceMetrics } from './api.ts'
import { quantile, ratesBetween } from './rates.ts'

function service(requests: number, errors: number, fast: number, slow: number): ServiceMetrics {
  return {
    instances: 2,
    scraped: 2,
    requests,
    errors,
    latency: {
      buckets: [
        ['0.01', fast],
        ['0.1', fast + slow],
        ['+Inf', fast + slow],
      ],
      count: fast + slow,
      sum: 0,
    },
  }
}

function read(at: number, s: ServiceMetrics, plays: number | null, hits: number, misses: number): MetricsSnapshot {
  return {
    at,
    services: { catalog: s },
    play_starts: plays,
    edge_results: { hit: hits, miss: misses, collapsed: 0 },
    qoe_by_region: null,
  }
}

describe('ratesBetween', () => {
  it('turns two reads of counters into rates over the interval', () => {
    const before = read(100, service(1000, 10, 900, 100), 50, 80, 20)
    const now = read(110, service(1500, 20, 1300, 200), 70, 170, 30)
    const rates = ratesBetween(before, now)!
    expect(rates.services.catalog.requestsPerS).toBe(50)
    expect(rates.services.catalog.errorsPerS).toBe(1)
    expect(rates.startsPerS).toBe(2)
    expect(rates.edgeHitRatio).toBe(0.9)
    // 400 fast and 100 slow requests in the interval: the median is fast.
    expect(rates.services.catalog.p50!).toBeLessThanOrEqual(0.01)
    expect(rates.services.catalog.p99!).toBeGreaterThan(0.01)
  })

  it('needs an earlier read and some time between them', () => {
    const now = read(110, service(1, 0, 1, 0), null, 0, 0)
    expect(ratesBetween(null, now)).toBeNull()
    expect(ratesBetween(now, now)).toBeNull()
  })

  it('counts a restarted instance from zero instead of going negative', () => {
    const before = read(100, service(1000, 10, 900, 100), 50, 80, 20)
    const now = read(105, service(100, 0, 100, 0), 5, 0, 0)
    const rates = ratesBetween(before, now)!
    expect(rates.services.catalog.requestsPerS).toBe(20)
    expect(rates.startsPerS).toBe(1)
    expect(rates.edgeHitRatio).toBeNull() // no media requests in the interval
  })
})

describe('quantile', () => {
  it('is null without requests and the lower edge for the +Inf bucket', () => {
    expect(quantile(0.5, [['+Inf', 0]], undefined)).toBeNull()
    expect(quantile(0.99, [['1', 0], ['+Inf', 5]], undefined)).toBe(1)
  })
})
