import { describe, expect, it } from 'vitest'
import type { RegionQoe } from './api.ts'
import { qoeRows } from './qoe.ts'

function region(plays: number, buckets: [string, number][], rebuffers = 0, stalled = 0, errors = 0): RegionQoe {
  const count = buckets.length > 0 ? buckets[buckets.length - 1][1] : 0
  return { plays, startup: { buckets, count, sum: 0 }, rebuffers, rebuffer_seconds: stalled, errors }
}

describe('qoeRows', () => {
  it('gives startup quantiles from the histogram and stalls per play', () => {
    // 10 plays: 6 started within 0.5 s, 3 more within 1 s, 1 within 3 s.
    const us = region(10, [['0.5', 6], ['1', 9], ['3', 10], ['+Inf', 10]], 4, 12, 2)
    const [row] = qoeRows({ US: us })
    expect(row.region).toBe('US')
    expect(row.plays).toBe(10)
    // The 5th play of 10 sits within the first bucket: 0.5 * 5/6.
    expect(row.startupP50).toBeCloseTo(0.4167, 3)
    // The 9th is the last of the second bucket.
    expect(row.startupP90).toBeCloseTo(1, 6)
    expect(row.rebuffersPerPlay).toBe(0.4)
    expect(row.stalledSecondsPerPlay).toBe(1.2)
    expect(row.errors).toBe(2)
  })

  it('orders the busiest region first and "other" last', () => {
    const rows = qoeRows({
      other: region(50, [['+Inf', 50]]),
      FR: region(2, [['1', 2], ['+Inf', 2]]),
      US: region(7, [['1', 7], ['+Inf', 7]]),
      DE: region(2, [['1', 2], ['+Inf', 2]]),
    })
    expect(rows.map((r) => r.region)).toEqual(['US', 'DE', 'FR', 'other'])
  })

  it('has no figures for a region without plays, and no rows without data', () => {
    // Errors can come before any play started (a manifest that never loads).
    const [row] = qoeRows({ JP: region(0, [], 0, 0, 3) })
    expect(row.startupP50).toBeNull()
    expect(row.rebuffersPerPlay).toBeNull()
    expect(row.stalledSecondsPerPlay).toBeNull()
    expect(row.errors).toBe(3)
    expect(qoeRows({})).toEqual([])
    expect(qoeRows(null)).toEqual([])
  })
})
