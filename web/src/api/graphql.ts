// The viewer's one API: persisted operations on /graphql. Each operation is a
// file in src/graphql/; only its id (SHA-256 of the file, computed at build
// time) is sent, the router holds the text. The session's bearer token rides
// along; an expired access token is refreshed once, an ended session sends
// the viewer to sign in and back.

import operations from 'virtual:persisted-operations'
import { currentPath, navigate } from '../route.ts'
import { refreshSession, SessionError, type Session } from './session.ts'
import { sessionStore, type SessionStore } from '../session/store.ts'
import { regionHeaders } from '../region/region.ts'

/** A GraphQL error as the router answers it (partial results carry some). */
export interface GraphQLProblem {
  message: string
  path?: (string | number)[]
  extensions?: Record<string, unknown>
}

export interface GraphQLResult<TData> {
  data: TData | null
  errors: GraphQLProblem[]
}

/** The graph could not be reached or failed as a whole (network, 5xx, 429): show a retry. */
export class NetworkProblem extends Error {
  /** The HTTP status, or null when no answer came. */
  readonly status: number | null

  constructor(message: string, status: number | null) {
    super(message)
    this.name = 'NetworkProblem'
    this.status = status
  }
}

/** The session ended; the viewer has been sent to sign in (nothing to show here). */
export class SessionExpired extends Error {
  constructor() {
    super('Your session has ended. Sign in again.')
    this.name = 'SessionExpired'
  }
}

export interface ClientOptions {
  fetchFn?: typeof fetch
  store?: SessionStore
  operations?: Record<string, { id: string; mutation: boolean }>
  refresh?: (session: Session) => Promise<Session>
  /** Sends the viewer to sign in; gets the path to come back to. */
  toSignIn?: (next: string) => void
  /** The path of the page now, to come back to after signing in. */
  here?: () => string
  /** Extra headers per request (the demo's region). */
  headers?: () => Record<string, string>
  /** How long to wait before the one automatic retry of a query. */
  wait?: (ms: number) => Promise<void>
}

/** How one operation is sent. */
export interface SendOptions {
  /** Let the request outlive the page (a stop or bookmark on page hide), as fetch's keepalive. */
  keepalive?: boolean
}

export type RunOperation = <TData>(
  name: string,
  variables?: Record<string, unknown>,
  options?: SendOptions,
) => Promise<GraphQLResult<TData>>

const RETRY_AFTER_MS = 500
// A gateway without a live router or subgraph answers these; worth one more try.
const TRANSIENT = new Set([502, 503, 504])

function defaultToSignIn(next: string): void {
  navigate(`/signin?next=${encodeURIComponent(next)}`, { replace: true })
}

/** A client over `options` (the app uses the default one, `runOperation`). */
export function createClient(options: ClientOptions = {}): RunOperation {
  const fetchFn = options.fetchFn ?? ((input, init) => fetch(input, init))
  const ops = options.operations ?? operations
  const refresh = options.refresh ?? ((session: Session) => refreshSession(session, fetchFn))
  const toSignIn = options.toSignIn ?? defaultToSignIn
  const wait = options.wait ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const store = () => options.store ?? sessionStore()
  const here = options.here ?? currentPath
  const extraHeaders = options.headers ?? (() => regionHeaders())

  function expired(): never {
    store().set(null)
    toSignIn(here())
    throw new SessionExpired()
  }

  async function post(body: string, session: Session, keepalive: boolean): Promise<Response> {
    try {
      return await fetchFn('/graphql', {
        method: 'POST',
        keepalive,
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...extraHeaders(),
          authorization: `Bearer ${session.accessToken}`,
        },
        body,
      })
    } catch {
      throw new NetworkProblem('The service cannot be reached.', null)
    }
  }

  async function once(body: string, keepalive: boolean): Promise<Response> {
    const session = store().get()
    if (!session) expired()
    const response = await post(body, session, keepalive)
    if (response.status !== 401) return response
    // Access tokens live minutes: refresh once, then give up on the session.
    let fresh: Session
    try {
      fresh = await refresh(session)
    } catch (error) {
      if (error instanceof SessionError && error.problem !== 'expired') {
        throw new NetworkProblem(error.message, null)
      }
      expired()
    }
    store().set(fresh)
    const again = await post(body, fresh, keepalive)
    if (again.status === 401) expired()
    return again
  }

  async function read<TData>(response: Response): Promise<GraphQLResult<TData>> {
    if (response.status >= 500 || response.status === 429) {
      throw new NetworkProblem(`The service answered HTTP ${response.status}.`, response.status)
    }
    let body: { data?: TData | null; errors?: GraphQLProblem[] }
    try {
      body = (await response.json()) as typeof body
    } catch {
      throw new NetworkProblem(
        `The service answered HTTP ${response.status} without a result.`,
        response.status,
      )
    }
    return { data: body.data ?? null, errors: Array.isArray(body.errors) ? body.errors : [] }
  }

  return async function run<TData>(
    name: string,
    variables: Record<string, unknown> = {},
    options: SendOptions = {},
  ) {
    const keepalive = options.keepalive ?? false
    const operation = ops[name]
    if (!operation) throw new Error(`no operation ${name} in src/graphql`)
    const body = JSON.stringify({
      documentId: `sha256:${operation.id}`,
      operationName: name,
      variables,
    })
    try {
      const response = await once(body, keepalive)
      if (TRANSIENT.has(response.status) && !operation.mutation) {
        throw new NetworkProblem(`HTTP ${response.status}`, response.status)
      }
      return await read<TData>(response)
    } catch (error) {
      // A query is safe to send again once; a mutation may have happened.
      if (!(error instanceof NetworkProblem) || operation.mutation) throw error
      await wait(RETRY_AFTER_MS)
      return read<TData>(await once(body, keepalive))
    }
  }
}

/** Run the persisted operation `name` (its operation name) with the tab's session. */
export const runOperation: RunOperation = (name, variables, options) =>
  defaultClient()(name, variables, options)

let client: RunOperation | null = null
function defaultClient(): RunOperation {
  client ??= createClient()
  return client
}
