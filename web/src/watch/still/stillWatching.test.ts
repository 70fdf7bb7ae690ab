import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../test/fakes.ts'
import {
  DEFAULT_RULE,
  loadIdle,
  loadRule,
  onAutoplay,
  onInput,
  saveIdle,
  saveRule,
  shouldAsk,
} from './stillWatching.ts'

const MINUTE = 60_000

describe('are you still watching', () => {
  it('asks after three episodes started by the countdown without input', () => {
    let idle = onInput(0)
    idle = onAutoplay(onAutoplay(idle))
    expect(shouldAsk(idle, MINUTE, DEFAULT_RULE)).toBe(false)
    idle = onAutoplay(idle)
    expect(shouldAsk(idle, MINUTE, DEFAULT_RULE)).toBe(true)
  })

  it('asks after 90 minutes without input, and any input starts the counts again', () => {
    const idle = onAutoplay(onAutoplay(onInput(0)))
    expect(shouldAsk(idle, 89 * MINUTE, DEFAULT_RULE)).toBe(false)
    expect(shouldAsk(idle, 90 * MINUTE, DEFAULT_RULE)).toBe(true)
    const touched = onInput(89 * MINUTE)
    expect(shouldAsk(onAutoplay(touched), 100 * MINUTE, DEFAULT_RULE)).toBe(false)
  })

  it("follows the profile's own rule, and ignores a damaged or absurd one", () => {
    const storage = new MemoryStorage()
    saveRule(storage, 'p1', { episodes: 1, minutes: 30 })
    expect(loadRule(storage, 'p1')).toEqual({ episodes: 1, minutes: 30 })
    expect(loadRule(storage, 'p2')).toEqual(DEFAULT_RULE)
    expect(loadRule(storage, null)).toEqual(DEFAULT_RULE)
    storage.setItem('reelstack.stillWatching.p3', '{"episodes": 0, "minutes": 1e9}')
    expect(loadRule(storage, 'p3')).toEqual(DEFAULT_RULE)
    storage.setItem('reelstack.stillWatching.p4', 'not json')
    expect(loadRule(storage, 'p4')).toEqual(DEFAULT_RULE)
  })

  it('carries the counts from episode to episode, and distrusts a count from the future', () => {
    const storage = new MemoryStorage()
    saveIdle(storage, { autoplayed: 2, lastInputMs: 1_000 })
    expect(loadIdle(storage, 5_000)).toEqual({ autoplayed: 2, lastInputMs: 1_000 })
    expect(loadIdle(storage, 500)).toEqual({ autoplayed: 0, lastInputMs: 500 })
    storage.setItem('reelstack.idle', '{broken')
    expect(loadIdle(storage, 9)).toEqual({ autoplayed: 0, lastInputMs: 9 })
  })
})
