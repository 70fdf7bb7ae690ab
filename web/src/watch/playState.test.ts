import { describe, expect, it } from 'vitest'
import type { Play } from '../api/playback.ts'
import type { Profile, Session } from '../api/session.ts'
import { MemoryStorage } from '../test/fakes.ts'
import { keyRequestSetup } from './engine/keyRequests.ts'
import { deviceId, deviceName, initialState, onlyProfile, reduce, type PlayState } from './playState.ts'

const SESSION: Session = { accessToken: 'a', refreshToken: 'r', profileId: null }
const CHOSEN: Session = { ...SESSION, accessToken: 'a2', profileId: 'p1' }
const ADULT: Profile = { id: 'p1', name: 'Ann', avatar: 'a', maturity: 'adults', kids: false, has_pin: false }
const KIDS: Profile = { id: 'p2', name: 'Kid', avatar: 'k', maturity: 'kids', kids: true, has_pin: false }
const PLAY = { play_id: 'play-1', heartbeat_s: 30, manifest_url: '/m', resume_s: 42 } as Play

describe('the watch page steps', () => {
  it('asks to sign in without a session and starts at once with one', () => {
    expect(initialState(null)).toEqual({ step: 'sign-in', message: null })
    expect(initialState(CHOSEN)).toEqual({ step: 'starting', session: CHOSEN })
  })

  it('goes from sign-in through the profile choice to playing', () => {
    let state: PlayState = initialState(null)
    state = reduce(state, { type: 'signed-in', session: SESSION, profiles: [ADULT, KIDS] })
    expect(state.step).toBe('profiles')
    state = reduce(state, { type: 'profile-chosen', session: CHOSEN })
    expect(state).toEqual({ step: 'starting', session: CHOSEN })
    state = reduce(state, { type: 'started', play: PLAY })
    expect(state).toEqual({ step: 'playing', session: CHOSEN, play: PLAY })
  })

  it('plays with the session refreshed while starting', () => {
    const fresh = { ...CHOSEN, accessToken: 'a3' }
    const state = reduce(initialState(CHOSEN), { type: 'started', play: PLAY, session: fresh })
    expect(state).toEqual({ step: 'playing', session: fresh, play: PLAY })
  })

  it('starts right away for an account without profiles', () => {
    const state = reduce(initialState(null), { type: 'signed-in', session: SESSION, profiles: [] })
    expect(state).toEqual({ step: 'starting', session: SESSION })
  })

  it('keeps the form with the reason when sign-in fails', () => {
    const state = reduce(initialState(null), { type: 'sign-in-failed', message: 'wrong' })
    expect(state).toEqual({ step: 'sign-in', message: 'wrong' })
  })

  it('shows the devices at the stream limit and tries again on request', () => {
    let state = reduce(initialState(CHOSEN), {
      type: 'limited',
      message: 'limit',
      devices: [{ device_id: 'tv', name: 'TV', title_id: 't', since: 'now' }],
    })
    expect(state.step).toBe('limit')
    state = reduce(state, { type: 'retry' })
    expect(state).toEqual({ step: 'starting', session: CHOSEN })
  })

  it('offers a retry when the service could not be reached, but not for a missing title', () => {
    const down = reduce(initialState(CHOSEN), {
      type: 'failed',
      problem: 'unavailable',
      message: 'The service cannot be reached.',
    })
    expect(down.step).toBe('error')
    expect(reduce(down, { type: 'retry' })).toEqual({ step: 'starting', session: CHOSEN })
    const missing = reduce(initialState(CHOSEN), {
      type: 'failed',
      problem: 'not-found',
      message: 'This title does not exist.',
    })
    expect(reduce(missing, { type: 'retry' })).toBe(missing)
  })

  it('asks to sign in again when the token is refused', () => {
    const state = reduce(initialState(CHOSEN), {
      type: 'failed',
      problem: 'unauthorized',
      message: 'Sign in to watch this title.',
    })
    expect(state).toEqual({ step: 'sign-in', message: 'Sign in to watch this title.' })
  })

  it('says why a title cannot play, and when the play ended', () => {
    const starting = initialState(CHOSEN)
    expect(reduce(starting, { type: 'failed', problem: 'not-found', message: 'gone' })).toEqual({
      step: 'error',
      problem: 'not-found',
      message: 'gone',
    })
    const playing = reduce(starting, { type: 'started', play: PLAY })
    expect(reduce(playing, { type: 'ended', message: 'ended' }).step).toBe('error')
  })

  it('ignores an outcome that does not fit the step', () => {
    const signIn = initialState(null)
    expect(reduce(signIn, { type: 'started', play: PLAY })).toBe(signIn)
    expect(reduce(signIn, { type: 'retry' })).toBe(signIn)
    const playing = reduce(initialState(CHOSEN), { type: 'started', play: PLAY })
    expect(reduce(playing, { type: 'sign-in-failed', message: 'x' })).toBe(playing)
  })
})

describe('the profile opened without asking', () => {
  it('is the only profile when it has no PIN', () => {
    expect(onlyProfile([ADULT])).toBe(ADULT)
    expect(onlyProfile([{ ...ADULT, has_pin: true }])).toBeNull()
    expect(onlyProfile([ADULT, KIDS])).toBeNull()
  })
})

describe('this device', () => {
  it('keeps one id across page loads', () => {
    const storage = new MemoryStorage()
    const first = deviceId(storage, () => 'abc')
    expect(first).toBe('web-abc')
    expect(deviceId(storage, () => 'other')).toBe(first)
  })

  it('replaces a stored id playback would refuse', () => {
    const storage = new MemoryStorage()
    storage.setItem('reelstack.device', 'bad id with spaces')
    expect(deviceId(storage, () => 'x')).toBe('web-x')
  })

  it('names the browser and system', () => {
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0'
    expect(deviceName(firefox)).toBe('Firefox on Linux')
    expect(deviceName('curl/8')).toBe('Browser')
  })
})

describe('key requests', () => {
  const base = 'https://tv.example/watch/t1'
  const sent = (setup: ReturnType<typeof keyRequestSetup>, url: string) => {
    const headers: Record<string, string> = {}
    setup({ setRequestHeader: (name, value) => (headers[name] = value) }, url)
    return headers
  }

  it('carry the token to playback keys on this origin', () => {
    const setup = keyRequestSetup('tok', base)
    expect(sent(setup, '/api/playback/keys/t1')).toEqual({ Authorization: 'Bearer tok' })
    expect(sent(setup, 'https://tv.example/api/playback/keys/t1')).toEqual({
      Authorization: 'Bearer tok',
    })
  })

  it('never carry it to segments, playlists or other hosts', () => {
    const setup = keyRequestSetup('tok', base)
    expect(sent(setup, '/media/s/sig/t1/720p/seg1.ts')).toEqual({})
    expect(sent(setup, 'https://evil.example/api/playback/keys/t1')).toEqual({})
    expect(sent(keyRequestSetup(null, base), '/api/playback/keys/t1')).toEqual({})
  })
})
