// The roles an access token carries, for choosing what to show (the
// header's links, the studio's and console's gates); the backend decides.

import type { Session } from '../api/session.ts'

/** The access token's roles (for showing the right page; the backend decides). */
export function rolesOf(session: Pick<Session, 'accessToken'> | null): string[] {
  if (!session) return []
  const payload = session.accessToken.split('.')[1]
  if (!payload) return []
  try {
    const text = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const roles = (JSON.parse(text) as { roles?: unknown }).roles
    return Array.isArray(roles) ? roles.filter((r): r is string => typeof r === 'string') : []
  } catch {
    return []
  }
}
