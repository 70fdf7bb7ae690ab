import { describe, expect, it } from 'vitest'
import { afterSignIn } from './next.ts'

function memory(): Storage {
  const items = new Map<string, string>()
  return {
    get length() {
      return items.size
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, value),
  }
}

describe('after signing in', () => {
  it('goes straight back to the account pages (studio, ops, account)', () => {
    const storage = memory()
    for (const next of ['/ops', '/studio', '/studio/titles/abc', '/account']) {
      expect(afterSignIn(next, storage)).toBe(next)
    }
    expect(storage.length).toBe(0)
  })

  it("goes through the profile picker to a profile's page, remembering it", () => {
    const storage = memory()
    expect(afterSignIn('/title/t1', storage)).toBe('/profiles')
    expect(storage.getItem('reelstack.next')).toBe('/title/t1')
  })

  it('never leaves the app', () => {
    const storage = memory()
    expect(afterSignIn('//evil.example/ops', storage)).toBe('/profiles')
    expect(storage.getItem('reelstack.next')).toBe('/')
  })
})

