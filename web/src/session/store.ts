// The tab's session in one place: the GraphQL client refreshes it, the pages
// read it through useSession(). Kept in sessionStorage (api/session.ts) so a
// reload keeps the viewer signed in and closing the tab ends it.

import { clearSession, loadSession, saveSession, type Session } from '../api/session.ts'

/** A session holder the GraphQL client and the provider share. */
export interface SessionStore {
  get(): Session | null
  set(session: Session | null): void
  subscribe(listener: () => void): () => void
}

/** A store over `storage` (sessionStorage in the app, memory in tests). */
export function createSessionStore(storage: Storage): SessionStore {
  let current = loadSession(storage)
  const listeners = new Set<() => void>()
  return {
    get: () => current,
    set(session) {
      current = session
      if (session) saveSession(session, storage)
      else clearSession(storage)
      for (const listener of listeners) listener()
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
  }
}

/** The app's store; created on first use so tests can import without a window. */
let appStore: SessionStore | null = null
export function sessionStore(): SessionStore {
  appStore ??= createSessionStore(sessionStorage)
  return appStore
}
