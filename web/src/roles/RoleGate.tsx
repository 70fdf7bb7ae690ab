import type { ReactNode } from 'react'
import { currentPath } from '../route.ts'
import { useSession } from '../session/context.ts'
import { Link } from '../ui/Link.tsx'
import { rolesOf } from '../session/roles.ts'

/**
 * Shows `children` to a signed-in user holding one of `roles`; anyone else
 * gets a page saying what is needed. Only a courtesy: every API behind these
 * pages refuses a token without the role on its own.
 */
export function RoleGate({
  roles,
  area,
  children,
}: {
  roles: string[]
  area: string
  children: ReactNode
}) {
  const { session } = useSession()
  const here = currentPath()
  if (!session) {
    return (
      <main className="role-gate" data-testid="role-gate" data-reason="signed-out">
        <h1>Sign in to open the {area}</h1>
        <p>
          <Link to={`/signin?next=${encodeURIComponent(here)}`}>Sign in</Link> with an account holding
          the {roles[0]} role.
        </p>
      </main>
    )
  }
  const held = rolesOf(session)
  if (!held.some((role) => roles.includes(role))) {
    return (
      <main className="role-gate" data-testid="role-gate" data-reason="role">
        <h1>The {area} needs the {roles[0]} role</h1>
        <p>
          Your account holds {held.length > 0 ? held.join(', ') : 'no roles'}. An administrator can
          give it the {roles.join(' or ')} role (<code>reelstack users set-role</code>).
        </p>
        <p>
          <Link to="/">Back to browsing</Link>
        </p>
      </main>
    )
  }
  return <>{children}</>
}
