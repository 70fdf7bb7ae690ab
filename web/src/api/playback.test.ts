import { describe, expect, it } from 'vitest'
import { bookmarkOf } from './playback.ts'

describe('bookmarks', () => {
  const now = new Date('2026-12-06T22:00:00Z')

  it('reads where the video stands', () => {
    expect(bookmarkOf({ currentTime: 12.5, duration: 100 }, 'web-1', now)).toEqual({
      position_s: 12.5,
      duration_s: 100,
      device: 'web-1',
      watched_at: '2026-12-06T22:00:00.000Z',
    })
  })

  it('has nothing to record before the duration is known', () => {
    expect(bookmarkOf({ currentTime: 0, duration: Number.NaN }, 'web-1', now)).toBeNull()
    expect(bookmarkOf({ currentTime: 0, duration: Infinity }, 'web-1', now)).toBeNull()
  })

  it('never puts the position past the duration', () => {
    expect(bookmarkOf({ currentTime: 101, duration: 100 }, 'd', now)?.position_s).toBe(100)
  })
})
