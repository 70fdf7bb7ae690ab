// The viewer's session for every page: who is signed in, which profile
// watches, and the actions that change them. Tokens live in the shared store
// (the GraphQL client refreshes them there); the chosen profile's name and
// kind are kept beside them so the header can show them after a reload.

import { useCallback, useMemo, useSyncExternalStore, type ReactNode } from 'react'
import * as api from '../api/session.ts'
import { sessionStore, type SessionStore } from './store.ts'
import { SessionContext, type ChosenProfile, type SessionValue } from './context.ts'

const PROFILE_KEY = 'reelstack.profile'

function loadProfile(storage: Storage, profileId: string | null): ChosenProfile | null {
  if (!profileId) return null
  try {
    const value = JSON.parse(storage.getItem(PROFILE_KEY) ?? 'null') as ChosenProfile | null
    return value && value.id === profileId ? value : null
  } catch {
    return null
  }
}

export interface SessionProviderProps {
  children: ReactNode
  store?: SessionStore
  storage?: Storage
  fetchFn?: typeof fetch
}

/** Gives the pages below it useSession(). */
export function SessionProvider({ children, store, storage, fetchFn }: SessionProviderProps) {
  const shared = store ?? sessionStore()
  const kept = storage ?? sessionStorage
  const call = useMemo<typeof fetch>(
    () => fetchFn ?? ((input, init) => fetch(input, init)),
    [fetchFn],
  )
  const session = useSyncExternalStore(shared.subscribe, shared.get)

  const signIn = useCallback(
    async (email: string, password: string) => {
      shared.set(await api.signIn(email, password, call))
    },
    [shared, call],
  )
  const signUp = useCallback(
    async (email: string, password: string) => {
      await api.signUp(email, password, call)
      shared.set(await api.signIn(email, password, call))
    },
    [shared, call],
  )
  const chooseProfile = useCallback(
    async (profile: ChosenProfile, pin: string | null) => {
      const current = shared.get()
      if (!current) throw new api.SessionError('expired', 'Your session has ended. Sign in again.')
      const next = await api.chooseProfile(current, profile.id, pin, call)
      kept.setItem(PROFILE_KEY, JSON.stringify(profile))
      shared.set(next)
    },
    [shared, kept, call],
  )
  const signOut = useCallback(
    async ({ everywhere = false }: { everywhere?: boolean } = {}) => {
      const current = shared.get()
      if (current && everywhere) {
        // A refusal here leaves the tab signed in, so the viewer can retry.
        await api.signOutEverywhere(current, call)
      } else if (current) {
        try {
          await api.signOut(current, call)
        } catch (error) {
          // The tab forgets the session anyway; the server ends it when it expires.
          console.warn('sign-out did not reach identity', error)
        }
      }
      kept.removeItem(PROFILE_KEY)
      shared.set(null)
    },
    [shared, kept, call],
  )

  const value = useMemo<SessionValue>(
    () => ({
      session,
      profile: loadProfile(kept, session?.profileId ?? null),
      signIn,
      signUp,
      chooseProfile,
      signOut,
    }),
    [session, kept, signIn, signUp, chooseProfile, signOut],
  )
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
}
