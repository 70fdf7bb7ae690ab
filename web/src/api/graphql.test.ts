import { describe, expect, it } from 'vitest'
import operations from 'virtual:persisted-operations'
import { fakeFetch, json, MemoryStorage } from '../test/fakes.ts'
import { createSessionStore } from '../session/store.ts'
import { saveSession, type Session } from './session.ts'
import { createClient, NetworkProblem, SessionExpired, type ClientOptions } from './graphql.ts'

const SESSION: Session = { accessToken: 'a1', refreshToken: 'r1', profileId: 'p1' }

function setup(fetchFn: typeof fetch, extra: Partial<ClientOptions> = {}) {
  const storage = new MemoryStorage()
  saveSession(SESSION, storage)
  const store = createSessionStore(storage)
  const signIns: string[] = []
  const waits: number[] = []
  const run = createClient({
    fetchFn,
    store,
    toSignIn: (next) => signIns.push(next),
    here: () => '/title/t1',
    wait: async (ms) => {
      waits.push(ms)
    },
    ...extra,
  })
  return { run, store, storage, signIns, waits }
}

function bodyOf(init: RequestInit): Record<string, unknown> {
  return JSON.parse(String(init.body)) as Record<string, unknown>
}

describe('runOperation', () => {
  it('sends the persisted id of the operation file with the bearer token', async () => {
    const fetchFn = fakeFetch(json(200, { data: { myList: [] } }))
    const { run } = setup(fetchFn)

    const result = await run<{ myList: unknown[] }>('MyList')

    expect(result).toEqual({ data: { myList: [] }, errors: [] })
    const sent = fetchFn.sent[0]
    expect(sent.url).toBe('/graphql')
    expect((sent.init.headers as Record<string, string>).authorization).toBe('Bearer a1')
    const body = bodyOf(sent.init)
    expect(body.documentId).toBe(`sha256:${operations.MyList.id}`)
    expect(body).not.toHaveProperty('query')
  })

  it('knows which operations are mutations', () => {
    expect(operations.AddToMyList.mutation).toBe(true)
    expect(operations.Home.mutation).toBe(false)
  })

  it('returns partial data with the errors', async () => {
    const errors = [{ message: 'recommendations is down', path: ['home'] }]
    const { run } = setup(fakeFetch(json(200, { data: { home: null, myList: [] }, errors })))

    expect(await run('Home')).toEqual({ data: { home: null, myList: [] }, errors })
  })

  it('refreshes an expired access token once and keeps the new session', async () => {
    const fetchFn = fakeFetch(
      json(401, { detail: 'expired' }),
      json(200, { data: { myList: [] } }),
    )
    const refreshed: Session[] = []
    const { run, store } = setup(fetchFn, {
      refresh: async (session) => {
        refreshed.push(session)
        return { ...session, accessToken: 'a2', refreshToken: 'r2' }
      },
    })

    const result = await run('MyList')

    expect(result.data).toEqual({ myList: [] })
    expect(refreshed).toHaveLength(1)
    const second = fetchFn.sent[1].init.headers as Record<string, string>
    expect(second.authorization).toBe('Bearer a2')
    expect(store.get()).toEqual({ accessToken: 'a2', refreshToken: 'r2', profileId: 'p1' })
  })

  it('sends the viewer to sign in and back when the refresh token is spent too', async () => {
    const fetchFn = fakeFetch(
      json(401, {}),
      json(401, { detail: 'refresh token expired' }),
    )
    const { run, store, storage, signIns } = setup(fetchFn)

    await expect(run('MyList')).rejects.toBeInstanceOf(SessionExpired)

    expect(signIns).toEqual(['/title/t1'])
    expect(store.get()).toBeNull()
    expect(storage.length).toBe(0)
    expect(fetchFn.sent.map((s) => s.url)).toEqual(['/graphql', '/api/identity/sessions/refresh'])
  })

  it('refreshes only once: a second 401 ends the session', async () => {
    const fetchFn = fakeFetch(json(401, {}), json(401, {}))
    const { run, signIns } = setup(fetchFn, {
      refresh: async (s) => ({ ...s, accessToken: 'a2' }),
    })

    await expect(run('MyList')).rejects.toBeInstanceOf(SessionExpired)
    expect(signIns).toEqual(['/title/t1'])
    expect(fetchFn.sent).toHaveLength(2)
  })

  it('sends the viewer to sign in without asking the graph when there is no session', async () => {
    const fetchFn = fakeFetch()
    const { run, store, signIns } = setup(fetchFn)
    store.set(null)

    await expect(run('MyList')).rejects.toBeInstanceOf(SessionExpired)
    expect(signIns).toEqual(['/title/t1'])
    expect(fetchFn.sent).toHaveLength(0)
  })

  it('retries a query once after a network error', async () => {
    const fetchFn = fakeFetch(new TypeError('Failed to fetch'), json(200, { data: { myList: [] } }))
    const { run, waits } = setup(fetchFn)

    expect((await run('MyList')).data).toEqual({ myList: [] })
    expect(waits).toHaveLength(1)
  })

  it('retries a query once after a 503, then reports the network problem', async () => {
    const fetchFn = fakeFetch(json(503, {}), json(503, {}))
    const { run } = setup(fetchFn)

    const failure = run('MyList')
    await expect(failure).rejects.toBeInstanceOf(NetworkProblem)
    await expect(failure).rejects.toMatchObject({ status: 503 })
    expect(fetchFn.sent).toHaveLength(2)
  })

  it('never sends a mutation twice on its own: the first may have happened', async () => {
    const fetchFn = fakeFetch(new TypeError('Failed to fetch'))
    const { run } = setup(fetchFn)

    await expect(run('AddToMyList', { titleId: 't1' })).rejects.toBeInstanceOf(NetworkProblem)
    expect(fetchFn.sent).toHaveLength(1)
  })

  it('reports a 500 or a body that is not JSON as a network problem', async () => {
    const page = new Response('<html>bad gateway</html>', { status: 200 })
    const { run } = setup(fakeFetch(json(500, {}), page))

    await expect(run('MyList')).rejects.toBeInstanceOf(NetworkProblem)
  })

  it('refuses an operation that has no file', async () => {
    const { run } = setup(fakeFetch())
    await expect(run('DropTables')).rejects.toThrow(/no operation DropTables/)
  })
})
