// The frame of the viewer's pages: a header with the app's sections and the
// profile watching, then the page. Phones get the same links, wrapped.

import type { ReactNode } from 'react'
import { roleSections } from '../nav/sections.ts'
import { RegionPicker } from '../region/RegionPicker.tsx'
import { rolesOf } from '../session/roles.ts'
import { useSession } from '../session/context.ts'
import { Link } from './Link.tsx'

export interface LayoutProps {
  children: ReactNode
  /** Extra controls at the header's end (e.g. the demo's region picker). */
  tools?: ReactNode
}

export function Layout({ children, tools }: LayoutProps) {
  const { session, profile } = useSession()
  // From the access token's claims; the backend still decides on every call.
  const sections = roleSections(rolesOf(session))
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <Link to="/" className="brand" aria-label="reelstack home">
          reelstack
        </Link>
        <nav className="app-nav" aria-label="Main">
          <Link to="/">Home</Link>
          <Link to="/search">Search</Link>
          <Link to="/my-list">My list</Link>
          {sections.map((section) => (
            <Link key={section.to} to={section.to}>
              {section.label}
            </Link>
          ))}
        </nav>
        <div className="app-tools">
          {tools}
          <RegionPicker />
          {profile && (
            <Link to="/profiles" className="profile-chip" title="Switch profile">
              <span className="avatar" aria-hidden="true">
                {profile.name.slice(0, 1).toUpperCase()}
              </span>
              <span className="profile-chip-name">{profile.name}</span>
            </Link>
          )}
          <Link to="/account">Account</Link>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {children}
      </main>
    </>
  )
}
