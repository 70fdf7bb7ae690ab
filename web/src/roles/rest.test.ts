import { describe, expect, it } from 'vitest'
import { createSessionStore } from '../session/store.ts'
import { fakeFetch, json, MemoryStorage } from '../test/fakes.ts'
import { reasonOf, request, requestJson, RestError, rolesOf } from './rest.ts'

function token(claims: object): string {
  const part = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '')
  return `${part({ alg: 'EdDSA' })}.${part(claims)}.sig`
}

function signedIn(roles: string[]) {
  const store = createSessionStore(new MemoryStorage())
  store.set({ accessToken: token({ sub: 'a', roles }), refreshToken: 'r1', profileId: null })
  return store
}

describe('reasonOf', () => {
  it("shows the server's reason, FastAPI's field list, or the status", () => {
    expect(reasonOf({ detail: 'a studio or admin token is needed' }, 403)).toBe(
      'a studio or admin token is needed',
    )
    expect(
      reasonOf({ detail: [{ loc: ['body', 'maturity_rating'], msg: 'must be one of G, PG' }] }, 422),
    ).toBe('maturity_rating: must be one of G, PG')
    expect(reasonOf({ error: 'QuotaExceeded' }, 429)).toBe('QuotaExceeded')
    expect(reasonOf('<html>', 502)).toBe('the server answered HTTP 502')
  })
})

describe('rolesOf', () => {
  it("reads the token's roles and nothing from a malformed one", () => {
    expect(rolesOf({ accessToken: token({ roles: ['viewer', 'studio'] }) })).toEqual(['viewer', 'studio'])
    expect(rolesOf({ accessToken: token({ roles: 'admin' }) })).toEqual([])
    expect(rolesOf({ accessToken: 'not-a-token' })).toEqual([])
    expect(rolesOf({ accessToken: 'a.%%%.c' })).toEqual([])
    expect(rolesOf(null)).toEqual([])
  })
})

describe('request', () => {
  it("sends the session's token and throws the server's reason on a refusal", async () => {
    const store = signedIn(['viewer'])
    const fetchFn = fakeFetch(json(403, { detail: 'this route needs the role admin' }))
    const refused = request('/api/ops/instances', {}, fetchFn, store)
    await expect(refused).rejects.toThrow('this route needs the role admin')
    await expect(refused).rejects.toBeInstanceOf(RestError)
    const headers = fetchFn.sent[0].init.headers as Record<string, string>
    expect(headers.authorization).toBe(`Bearer ${store.get()?.accessToken}`)
  })

  it('refreshes an expired token once and keeps the new session', async () => {
    const store = signedIn(['admin'])
    const fetchFn = fakeFetch(
      json(401, { detail: 'expired' }),
      json(200, { access_token: 'fresh', refresh_token: 'r2', expires_in: 600 }),
      json(200, { instances: [] }),
    )
    const answer = await requestJson<{ instances: unknown[] }>('/api/ops/instances', {}, fetchFn, store)
    expect(answer.instances).toEqual([])
    expect(store.get()?.refreshToken).toBe('r2')
    expect((fetchFn.sent[2].init.headers as Record<string, string>).authorization).toBe('Bearer fresh')
  })

  it('says the session ended when the refresh is refused, and offline in words', async () => {
    const store = signedIn(['admin'])
    const expired = fakeFetch(json(401, {}), json(401, {}))
    await expect(request('/api/media/titles', {}, expired, store)).rejects.toThrow('Sign in again')
    const offline = fakeFetch(new TypeError('Failed to fetch'))
    await expect(request('/api/media/titles', {}, offline, store)).rejects.toThrow('cannot be reached')
  })
})
