import { describe, expect, it } from 'vitest'
import { fakeFetch, json, MemoryStorage } from '../test/fakes.ts'
import {
  chooseProfile,
  clearSession,
  createProfile,
  listProfiles,
  loadSession,
  refreshSession,
  saveSession,
  SESSION_KEY,
  SessionError,
  signIn,
  withFreshToken,
} from './session.ts'

const TOKENS = { access_token: 'access-1', refresh_token: 'refresh-1', expires_in: 900 }

describe('signIn', () => {
  it('posts the credentials to identity and keeps both tokens', async () => {
    const fetchFn = fakeFetch(json(200, TOKENS))
    const session = await signIn('ann@example.com', 'secret', fetchFn)
    expect(session).toEqual({ accessToken: 'access-1', refreshToken: 'refresh-1', profileId: null })
    expect(fetchFn.sent[0].url).toBe('/api/identity/sessions')
    expect(fetchFn.sent[0].init.method).toBe('POST')
    expect(JSON.parse(fetchFn.sent[0].init.body as string)).toEqual({
      email: 'ann@example.com',
      password: 'secret',
    })
  })

  it.each([
    [401, 'wrong-credentials'],
    [429, 'throttled'],
    [503, 'unavailable'],
  ])('turns HTTP %i into %s', async (status, problem) => {
    const fetchFn = fakeFetch(json(status, { detail: 'no' }))
    const error = await signIn('a@b.c', 'x', fetchFn).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SessionError)
    expect((error as SessionError).problem).toBe(problem)
  })

  it('says the service cannot be reached when the request fails', async () => {
    const error = await signIn('a@b.c', 'x', fakeFetch(new TypeError('offline'))).catch(
      (e: unknown) => e,
    )
    expect((error as SessionError).problem).toBe('unavailable')
  })
})

describe('profiles', () => {
  const session = { accessToken: 'access-1', refreshToken: 'refresh-1', profileId: null }

  it('lists the profiles with the access token', async () => {
    const profile = { id: 'p1', name: 'Ann', avatar: 'a', maturity: 'adults', kids: false, has_pin: false }
    const fetchFn = fakeFetch(json(200, { profiles: [profile] }))
    expect(await listProfiles(session, fetchFn)).toEqual([profile])
    expect((fetchFn.sent[0].init.headers as Record<string, string>).authorization).toBe(
      'Bearer access-1',
    )
  })

  it('makes a first profile with the access token', async () => {
    const profile = { id: 'p9', name: 'Me', avatar: 'default', maturity: 'adults', kids: false, has_pin: false }
    const fetchFn = fakeFetch(json(201, profile))
    expect(await createProfile(session, 'Me', fetchFn)).toEqual(profile)
    expect(fetchFn.sent[0].url).toBe('/api/identity/profiles')
    expect(fetchFn.sent[0].init.method).toBe('POST')
    expect(JSON.parse(fetchFn.sent[0].init.body as string)).toEqual({ name: 'Me' })
    const refused = await createProfile(session, 'Me', fakeFetch(json(409, {}))).catch(
      (e: unknown) => e,
    )
    expect(refused).toBeInstanceOf(SessionError)
  })

  it('switches the session to a profile with its PIN through a refresh', async () => {
    const fetchFn = fakeFetch(json(200, { ...TOKENS, access_token: 'access-2' }))
    const chosen = await chooseProfile(session, 'p1', '1234', fetchFn)
    expect(chosen).toEqual({ accessToken: 'access-2', refreshToken: 'refresh-1', profileId: 'p1' })
    expect(fetchFn.sent[0].url).toBe('/api/identity/sessions/refresh')
    expect(JSON.parse(fetchFn.sent[0].init.body as string)).toEqual({
      refresh_token: 'refresh-1',
      profile_id: 'p1',
      pin: '1234',
    })
  })

  it('reports a refused PIN', async () => {
    const error = await chooseProfile(session, 'p1', '0000', fakeFetch(json(401, {}))).catch(
      (e: unknown) => e,
    )
    expect((error as SessionError).problem).toBe('bad-pin')
  })
})

describe('the stored session', () => {
  it('round-trips through storage and is cleared', () => {
    const storage = new MemoryStorage()
    const session = { accessToken: 'a', refreshToken: 'r', profileId: 'p' }
    saveSession(session, storage)
    expect(loadSession(storage)).toEqual(session)
    clearSession(storage)
    expect(loadSession(storage)).toBeNull()
  })

  it.each(['not json', '{}', '{"accessToken": 1, "refreshToken": "r"}'])(
    'ignores an unreadable value %s',
    (raw) => {
      const storage = new MemoryStorage()
      storage.setItem(SESSION_KEY, raw)
      expect(loadSession(storage)).toBeNull()
    },
  )
})

describe('fresh tokens', () => {
  const session = { accessToken: 'old', refreshToken: 'refresh-1', profileId: 'p1' }

  it('refreshes with the refresh token alone and keeps the profile', async () => {
    const fetchFn = fakeFetch(json(200, { ...TOKENS, access_token: 'new', refresh_token: 'refresh-2' }))
    expect(await refreshSession(session, fetchFn)).toEqual({
      accessToken: 'new',
      refreshToken: 'refresh-2',
      profileId: 'p1',
    })
    expect(JSON.parse(fetchFn.sent[0].init.body as string)).toEqual({ refresh_token: 'refresh-1' })
  })

  it('says the session ended when the refresh is refused', async () => {
    const error = await refreshSession(session, fakeFetch(json(401, {}))).catch((e: unknown) => e)
    expect((error as SessionError).problem).toBe('expired')
  })

  it('retries a refused call once with refreshed tokens', async () => {
    const fresh = { ...session, accessToken: 'new' }
    const tokens: string[] = []
    const outcome = await withFreshToken(
      session,
      async (s) => {
        tokens.push(s.accessToken)
        if (s.accessToken === 'old') throw new Error('refused')
        return 'done'
      },
      (error) => error instanceof Error && error.message === 'refused',
      async () => fresh,
    )
    expect(outcome).toEqual({ result: 'done', session: fresh })
    expect(tokens).toEqual(['old', 'new'])
  })

  it('passes other errors on without refreshing', async () => {
    let refreshed = false
    const error = await withFreshToken(
      session,
      async () => {
        throw new Error('outage')
      },
      () => false,
      async (s) => {
        refreshed = true
        return s
      },
    ).catch((e: unknown) => e)
    expect((error as Error).message).toBe('outage')
    expect(refreshed).toBe(false)
  })
})
