// The viewer's session: sign-in and profile choice through identity
// (/api/identity), the tokens kept in sessionStorage so they end with the tab.

/** What the web app keeps of a signed-in viewer. */
export interface Session {
  accessToken: string
  refreshToken: string
  /** The profile the access token names; null until one is chosen (or the account has none). */
  profileId: string | null
}

/** A profile of the account, as identity lists it. */
export interface Profile {
  id: string
  name: string
  avatar: string
  maturity: string
  kids: boolean
  has_pin: boolean
}

interface TokensOut {
  access_token: string
  refresh_token: string
  expires_in: number
}

export type SessionProblem =
  | 'wrong-credentials'
  | 'throttled'
  | 'unavailable'
  | 'bad-pin'
  | 'expired'
  | 'refused'

/** Why signing in or choosing a profile failed, with a message meant for the viewer. */
export class SessionError extends Error {
  readonly problem: SessionProblem

  constructor(problem: SessionProblem, message: string) {
    super(message)
    this.name = 'SessionError'
    this.problem = problem
  }
}

export const SESSION_KEY = 'reelstack.session'

/** The session kept in `storage`, or null when there is none (or it is unreadable). */
export function loadSession(storage: Storage = sessionStorage): Session | null {
  const raw = storage.getItem(SESSION_KEY)
  if (!raw) return null
  try {
    const value = JSON.parse(raw) as Partial<Session>
    if (typeof value.accessToken !== 'string' || typeof value.refreshToken !== 'string') {
      return null
    }
    return {
      accessToken: value.accessToken,
      refreshToken: value.refreshToken,
      profileId: typeof value.profileId === 'string' ? value.profileId : null,
    }
  } catch {
    return null
  }
}

export function saveSession(session: Session, storage: Storage = sessionStorage): void {
  storage.setItem(SESSION_KEY, JSON.stringify(session))
}

export function clearSession(storage: Storage = sessionStorage): void {
  storage.removeItem(SESSION_KEY)
}

/** The Authorization header of a session's requests. */
export function authorization(session: Pick<Session, 'accessToken'>): Record<string, string> {
  return { authorization: `Bearer ${session.accessToken}` }
}

async function post(url: string, body: unknown, fetchFn: typeof fetch): Promise<Response> {
  try {
    return await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    })
  } catch {
    throw new SessionError('unavailable', 'The service cannot be reached. Try again in a moment.')
  }
}

function refused(response: Response, wrong: SessionError): SessionError {
  if (response.status === 401) return wrong
  if (response.status === 429) {
    return new SessionError('throttled', 'Too many attempts. Wait a few minutes and try again.')
  }
  return new SessionError(
    'unavailable',
    `The service could not sign you in (HTTP ${response.status}). Try again in a moment.`,
  )
}

/** Sign in with email and password: a session naming no profile yet. */
export async function signIn(
  email: string,
  password: string,
  fetchFn: typeof fetch = fetch,
): Promise<Session> {
  const response = await post('/api/identity/sessions', { email, password }, fetchFn)
  if (!response.ok) {
    throw refused(
      response,
      new SessionError('wrong-credentials', 'That email and password do not match an account.'),
    )
  }
  const tokens = (await response.json()) as TokensOut
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, profileId: null }
}

/** The reason a refusal names: identity's `detail`, a string or FastAPI's list of field errors. */
export async function reasonOf(response: Response): Promise<string | null> {
  try {
    const body = (await response.json()) as { detail?: unknown }
    if (typeof body.detail === 'string') return body.detail
    if (Array.isArray(body.detail)) {
      const first = body.detail[0] as { loc?: unknown[]; msg?: string } | undefined
      if (first?.msg) {
        const field = first.loc?.[first.loc.length - 1]
        return field ? `${String(field)}: ${first.msg}` : first.msg
      }
    }
  } catch {
    // Not JSON (a proxy's page): the caller says it in general words.
  }
  return null
}

/** Create a viewer account; a refusal carries identity's reason (taken email, weak password). */
export async function signUp(
  email: string,
  password: string,
  fetchFn: typeof fetch = fetch,
): Promise<void> {
  const response = await post('/api/identity/accounts', { email, password }, fetchFn)
  if (response.ok) return
  if (response.status === 429 || response.status >= 500) {
    throw refused(response, new SessionError('unavailable', 'Try again in a moment.'))
  }
  const reason = await reasonOf(response)
  throw new SessionError('refused', reason ?? `The account was refused (HTTP ${response.status}).`)
}

/** End this session on the server (its refresh token); the tab forgets it either way. */
export async function signOut(session: Session, fetchFn: typeof fetch = fetch): Promise<void> {
  await post('/api/identity/sessions/sign-out', { refresh_token: session.refreshToken }, fetchFn)
}

/** End every session of the account (every device), then this one. */
export async function signOutEverywhere(
  session: Session,
  fetchFn: typeof fetch = fetch,
): Promise<void> {
  let response: Response
  try {
    response = await fetchFn('/api/identity/sessions', {
      method: 'DELETE',
      headers: { accept: 'application/json', ...authorization(session) },
    })
  } catch {
    throw new SessionError('unavailable', 'The service cannot be reached. Try again in a moment.')
  }
  if (!response.ok) {
    throw new SessionError(
      'unavailable',
      `The other devices could not be signed out (HTTP ${response.status}).`,
    )
  }
}

/** The account's profiles (empty when it has none). */
export async function listProfiles(
  session: Session,
  fetchFn: typeof fetch = fetch,
): Promise<Profile[]> {
  let response: Response
  try {
    response = await fetchFn('/api/identity/profiles', {
      headers: { accept: 'application/json', ...authorization(session) },
    })
  } catch {
    throw new SessionError('unavailable', 'The service cannot be reached. Try again in a moment.')
  }
  if (!response.ok) {
    throw new SessionError(
      'unavailable',
      `Your profiles could not be loaded (HTTP ${response.status}).`,
    )
  }
  return ((await response.json()) as { profiles: Profile[] }).profiles
}

/** Make the account's first profile (a play is always a profile's: history, lists, maturity). */
export async function createProfile(
  session: Session,
  name: string,
  fetchFn: typeof fetch = fetch,
): Promise<Profile> {
  let response: Response
  try {
    response = await fetchFn('/api/identity/profiles', {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/json',
        ...authorization(session),
      },
      body: JSON.stringify({ name }),
    })
  } catch {
    throw new SessionError('unavailable', 'The service cannot be reached. Try again in a moment.')
  }
  if (!response.ok) {
    throw new SessionError(
      'unavailable',
      `A profile could not be made for this account (HTTP ${response.status}).`,
    )
  }
  return (await response.json()) as Profile
}

/** Switch the session to one of the account's profiles (its PIN if it has one). */
export async function chooseProfile(
  session: Session,
  profileId: string,
  pin: string | null,
  fetchFn: typeof fetch = fetch,
): Promise<Session> {
  const body: Record<string, string> = { refresh_token: session.refreshToken, profile_id: profileId }
  if (pin) body.pin = pin
  const response = await post('/api/identity/sessions/refresh', body, fetchFn)
  if (!response.ok) {
    // A refused refresh names a wrong PIN or a spent session: both need the viewer again.
    throw refused(
      response,
      new SessionError('bad-pin', 'That profile could not be opened: check its PIN, or sign in again.'),
    )
  }
  const tokens = (await response.json()) as TokensOut
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, profileId }
}

/** New tokens for the session (same profile); the refresh token is spent. */
export async function refreshSession(
  session: Session,
  fetchFn: typeof fetch = fetch,
): Promise<Session> {
  const response = await post(
    '/api/identity/sessions/refresh',
    { refresh_token: session.refreshToken },
    fetchFn,
  )
  if (!response.ok) {
    throw refused(response, new SessionError('expired', 'Your session has ended. Sign in again.'))
  }
  const tokens = (await response.json()) as TokensOut
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    profileId: session.profileId,
  }
}

/**
 * Run `call` with the session; when its access token is refused (they live
 * minutes, a film lasts hours) refresh the session once and run it again.
 * Returns the result and the session to use from now on.
 */
export async function withFreshToken<T>(
  session: Session,
  call: (session: Session) => Promise<T>,
  isRefused: (error: unknown) => boolean,
  refresh: (session: Session) => Promise<Session> = refreshSession,
): Promise<{ result: T; session: Session }> {
  try {
    return { result: await call(session), session }
  } catch (error) {
    if (!isRefused(error)) throw error
  }
  const fresh = await refresh(session)
  return { result: await call(fresh), session: fresh }
}
