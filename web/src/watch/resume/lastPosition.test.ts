import { describe, expect, it } from 'vitest'
import { MemoryStorage } from '../../test/fakes.ts'
import { keepLastPosition, readLastPosition, resumeFrom, TRUST_MS } from './lastPosition.ts'

const AT_40 = { position_s: 40, duration_s: 50 }

describe("a quick reload resumes where the tab left, not at the server's older bookmark", () => {
  it("resumes from the tab's position kept a moment ago, though the server still says 30 s", () => {
    const storage = new MemoryStorage()
    keepLastPosition(storage, 'p1', 't1', AT_40, 1_000)
    const last = readLastPosition(storage, 'p1', 't1')
    expect(resumeFrom(30, last, 1_500)).toBe(40)
    // Also when the server has nothing yet (the first bookmark was the leaving one).
    expect(resumeFrom(0, last, 1_500)).toBe(40)
  })

  it("trusts the server once the tab's position is old enough to have landed", () => {
    const storage = new MemoryStorage()
    keepLastPosition(storage, 'p1', 't1', AT_40, 1_000)
    const last = readLastPosition(storage, 'p1', 't1')
    expect(resumeFrom(900, last, 1_000 + TRUST_MS + 1)).toBe(900) // watched on, on another device
    expect(resumeFrom(900, last, 500)).toBe(900) // a kept time in the future: a clock set back
  })

  it('starts a title left at its end again, as playback does', () => {
    const storage = new MemoryStorage()
    keepLastPosition(storage, 'p1', 't1', { position_s: 49, duration_s: 50 }, 1_000)
    expect(resumeFrom(40, readLastPosition(storage, 'p1', 't1'), 1_100)).toBe(0)
  })

  it("keeps each profile's own, one title each, and ignores what it cannot read", () => {
    const storage = new MemoryStorage()
    keepLastPosition(storage, 'p1', 't1', AT_40, 1_000)
    keepLastPosition(storage, 'p1', 't2', { position_s: 5, duration_s: 50 }, 1_200)
    expect(readLastPosition(storage, 'p1', 't1')).toBeNull() // replaced by the next title
    expect(readLastPosition(storage, 'p2', 't2')).toBeNull() // another profile's
    expect(readLastPosition(storage, 'p1', 't2')?.position_s).toBe(5)
    storage.setItem('reelstack.lastPosition.p3', '{broken')
    expect(readLastPosition(storage, 'p3', 't1')).toBeNull()
    const forged = { titleId: 't1', position_s: 99, duration_s: 50, savedAtMs: 1 }
    storage.setItem('reelstack.lastPosition.p4', JSON.stringify(forged))
    expect(readLastPosition(storage, 'p4', 't1')).toBeNull() // past the end
  })
})
