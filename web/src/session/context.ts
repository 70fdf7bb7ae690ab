// useSession(): the signed-in viewer and the actions on the session.

import { createContext, useContext } from 'react'
import type { Session } from '../api/session.ts'

/** The profile watching now, as the picker showed it. */
export interface ChosenProfile {
  id: string
  name: string
  avatar: string
  kids: boolean
  maturity: string
}

export interface SessionValue {
  /** The tab's tokens; null when signed out. */
  session: Session | null
  /** The profile the session names; null before one is chosen. */
  profile: ChosenProfile | null
  /** Sign in (throws api/session's SessionError with a message for the viewer). */
  signIn(email: string, password: string): Promise<void>
  /** Make an account and sign in to it (SessionError 'refused' carries the server's reason). */
  signUp(email: string, password: string): Promise<void>
  /** Switch the session to a profile of the account, with its PIN if it has one. */
  chooseProfile(profile: ChosenProfile, pin: string | null): Promise<void>
  /** End this session, or every session of the account. */
  signOut(options?: { everywhere?: boolean }): Promise<void>
}

export const SessionContext = createContext<SessionValue | null>(null)

/** The session of the page (inside SessionProvider). */
export function useSession(): SessionValue {
  const value = useContext(SessionContext)
  if (!value) throw new Error('useSession() outside SessionProvider')
  return value
}
