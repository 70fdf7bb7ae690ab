import { describe, expect, it } from 'vitest'
import { fakeFetch, json, MemoryStorage } from '../test/fakes.ts'
import { createSessionStore } from '../session/store.ts'
import { saveSession } from '../api/session.ts'
import { createClient } from '../api/graphql.ts'
import { chooseRegion, chosenRegion, regionHeaders } from './region.ts'

describe('the demo region', () => {
  it('is sent with graph requests once picked, and not before', async () => {
    const storage = new MemoryStorage()
    const sessions = new MemoryStorage()
    saveSession({ accessToken: 'a', refreshToken: 'r', profileId: 'p' }, sessions)
    const fetchFn = fakeFetch(json(200, { data: {} }), json(200, { data: {} }))
    const run = createClient({
      fetchFn,
      store: createSessionStore(sessions),
      headers: () => regionHeaders(storage),
    })

    await run('MyList')
    chooseRegion('EU', storage)
    await run('MyList')

    const sent = fetchFn.sent.map((s) => (s.init.headers as Record<string, string>)['x-reelstack-region'])
    expect(sent).toEqual([undefined, 'EU'])
  })

  it('keeps only a two-letter code (a header cannot be smuggled through it)', () => {
    const storage = new MemoryStorage()
    chooseRegion('EU\r\nx-account: someone', storage)
    expect(chosenRegion(storage)).toBeNull()
    storage.setItem('reelstack.region', 'eu; x')
    expect(regionHeaders(storage)).toEqual({})
    chooseRegion('JP', storage)
    chooseRegion(null, storage)
    expect(chosenRegion(storage)).toBeNull()
  })
})
