import { describe, expect, it } from 'vitest'
import { fakeFetch, json } from '../test/fakes.ts'
import { TitleError } from './media.ts'
import {
  bookmarkOf,
  heartbeat,
  isRefusedToken,
  PlayEndedError,
  saveBookmark,
  startPlay,
  stopPlay,
  StreamLimitError,
} from './playback.ts'

const SESSION = { accessToken: 'tok', refreshToken: 'ref', profileId: 'prof-1' }
const DEVICE = { id: 'web-1', name: 'Firefox on Linux' }
const PLAY = {
  play_id: 'play-1',
  lease_expires_at: '2026-12-06T22:00:00Z',
  heartbeat_s: 30,
  manifest_url: '/media/s/tok/t1/master.m3u8',
  resume_s: 42,
  intro: null,
  credits_start_s: null,
  next_episode_id: null,
}

describe('startPlay', () => {
  it('posts the title and device with the token and returns the play', async () => {
    const fetchFn = fakeFetch(json(201, PLAY))
    expect(await startPlay(SESSION, 't/1', DEVICE, { fetchFn })).toEqual(PLAY)
    const { url, init } = fetchFn.sent[0]
    expect(url).toBe('/api/playback/plays')
    expect(init.method).toBe('POST')
    expect((init.headers as Record<string, string>).authorization).toBe('Bearer tok')
    expect(JSON.parse(init.body as string)).toEqual({ title_id: 't/1', device: DEVICE })
  })

  it('gives the devices holding the streams at the plan limit', async () => {
    const devices = [{ device_id: 'tv', name: 'Living room', title_id: 't2', since: '2026-12-06T21:00:00Z' }]
    const fetchFn = fakeFetch(json(409, { detail: 'Your plan allows 1 stream', devices }))
    const error = await startPlay(SESSION, 't1', DEVICE, { fetchFn }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StreamLimitError)
    expect((error as StreamLimitError).devices).toEqual(devices)
    expect((error as StreamLimitError).message).toBe('Your plan allows 1 stream')
  })

  it.each([
    [404, 'not-found'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [422, 'unavailable'],
    [502, 'unavailable'],
  ])('turns HTTP %i into %s', async (status, problem) => {
    const fetchFn = fakeFetch(json(status, { detail: 'why' }))
    const error = await startPlay(SESSION, 't1', DEVICE, { fetchFn }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TitleError)
    expect((error as TitleError).problem).toBe(problem)
  })
})

describe('the lease', () => {
  it('renews it with a PUT to the play', async () => {
    const fetchFn = fakeFetch(json(200, {}))
    await heartbeat(SESSION, 'play 1', fetchFn)
    expect(fetchFn.sent[0].url).toBe('/api/playback/plays/play%201/heartbeat')
    expect(fetchFn.sent[0].init.method).toBe('PUT')
  })

  it('says a refused token is refused, so the caller can refresh it', async () => {
    const error = await heartbeat(SESSION, 'p', fakeFetch(json(401, {}))).catch((e: unknown) => e)
    expect(isRefusedToken(error)).toBe(true)
    expect(isRefusedToken(new PlayEndedError())).toBe(false)
  })

  it.each([404, 410])('says the play ended on %i', async (status) => {
    const error = await heartbeat(SESSION, 'p', fakeFetch(json(status, {}))).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PlayEndedError)
  })

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
