import { describe, expect, it } from 'vitest'
import { fakeFetch, json } from '../test/fakes.ts'
import { bookmarkOf, saveBookmark, stopPlay } from './playback.ts'

const SESSION = { accessToken: 'tok', refreshToken: 'ref', profileId: 'prof-1' }

describe('stopping on page hide', () => {
  it('stops with a DELETE that outlives the page and carries the token', async () => {
    const fetchFn = fakeFetch(new Response(null, { status: 204 }))
    await stopPlay(SESSION, 'play-1', fetchFn)
    const { url, init } = fetchFn.sent[0]
    expect(url).toBe('/api/playback/plays/play-1')
    expect(init.method).toBe('DELETE')
    expect(init.keepalive).toBe(true)
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer tok')
  })
})

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

  it('puts the bookmark under the profile and title in history', async () => {
    const fetchFn = fakeFetch(json(200, { applied: true }))
    const mark = bookmarkOf({ currentTime: 5, duration: 10 }, 'web-1', now)!
    await saveBookmark(SESSION, 'prof-1', 't/1', mark, { fetchFn })
    expect(fetchFn.sent[0].url).toBe('/api/history/profiles/prof-1/bookmarks/t%2F1')
    expect(fetchFn.sent[0].init.method).toBe('PUT')
    expect(JSON.parse(fetchFn.sent[0].init.body as string)).toEqual(mark)
  })
})
