import Hls from 'hls.js'
import { describe, expect, it } from 'vitest'
import { FAILOVER_CONFIG, worstCaseOnOneEdgeMs } from './loadPolicy.ts'

describe('edge failover load policies', () => {
  it('give up on a dead edge within seconds, where the defaults take half a minute', () => {
    const defaults = Hls.DefaultConfig
    expect(worstCaseOnOneEdgeMs(defaults.fragLoadPolicy)).toBeGreaterThanOrEqual(30_000)
    expect(worstCaseOnOneEdgeMs(FAILOVER_CONFIG.fragLoadPolicy)).toBeLessThanOrEqual(8_000)
    expect(worstCaseOnOneEdgeMs(FAILOVER_CONFIG.playlistLoadPolicy)).toBeLessThanOrEqual(8_000)
  })
})
