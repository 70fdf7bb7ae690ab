// REST calls of the studio and the ops console, with the session's bearer
// token. Those pages use the services' REST APIs (tus, media, the catalog's
// studio routes, the gateway's ops API): the graph is the viewer's API.

import { refreshSession } from '../api/session.ts'
import { sessionStore, type SessionStore } from '../session/store.ts'

// Read from the token without the REST client, so the header can use it in the first load.
export { rolesOf } from '../session/roles.ts'

/** A refusal or failure, with the server's own reason when it gave one. */
export class RestError extends Error {
  readonly status: number

  constructor(status: number, message: string) {
    super(message)
    this.name = 'RestError'
    this.status = status
  }
}

/** The reason a JSON error body gives: `detail` (a string or FastAPI's list), else `error`. */
export function reasonOf(body: unknown, status: number): string {
  if (body && typeof body === 'object') {
    const { detail, error } = body as { detail?: unknown; error?: unknown }
    if (typeof detail === 'string' && detail) return detail
    if (Array.isArray(detail) && detail.length > 0) {
      return detail
        .map((item: { loc?: unknown[]; msg?: string }) => {
          const field = Array.isArray(item.loc) ? item.loc.filter((p) => p !== 'body').join('.') : ''
          return field ? `${field}: ${item.msg ?? 'invalid'}` : (item.msg ?? 'invalid')
        })
        .join('; ')
    }
    if (typeof error === 'string' && error) return error
  }
  return `the server answered HTTP ${status}`
}

/** Headers carrying the current session's token (read fresh: it is refreshed meanwhile). */
export function bearer(store: SessionStore = sessionStore()): Record<string, string> {
  const session = store.get()
  return session ? { authorization: `Bearer ${session.accessToken}` } : {}
}

async function send(
  url: string,
  init: RequestInit,
  fetchFn: typeof fetch,
  store: SessionStore,
): Promise<Response> {
  try {
    return await fetchFn(url, { ...init, headers: { ...init.headers, ...bearer(store) } })
  } catch {
    throw new RestError(0, 'The service cannot be reached. Check the connection and retry.')
  }
}

/**
 * Send a request with the session's token; a 401 refreshes the session once
 * and sends again. Non-2xx answers throw a RestError with the server's reason.
 */
export async function request(
  url: string,
  init: RequestInit = {},
  fetchFn: typeof fetch = fetch,
  store: SessionStore = sessionStore(),
): Promise<Response> {
  let response = await send(url, init, fetchFn, store)
  const session = store.get()
  if (response.status === 401 && session) {
    try {
      store.set(await refreshSession(session, fetchFn))
    } catch {
      throw new RestError(401, 'Your session has ended. Sign in again.')
    }
    response = await send(url, init, fetchFn, store)
  }
  if (!response.ok) {
    let body: unknown = null
    try {
      body = await response.json()
    } catch {
      // Not JSON (a proxy's page): the status says enough.
    }
    throw new RestError(response.status, reasonOf(body, response.status))
  }
  return response
}

/** GET or send JSON, and read the JSON answer. */
export async function requestJson<T>(
  url: string,
  init: RequestInit = {},
  fetchFn: typeof fetch = fetch,
  store: SessionStore = sessionStore(),
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (init.body !== undefined && typeof init.body === 'string') {
    headers['content-type'] = 'application/json'
  }
  const merged = { ...init, headers: { ...headers, ...init.headers } }
  const response = await request(url, merged, fetchFn, store)
  return (await response.json()) as T
}
