import type { ReactNode } from 'react'

/**
 * The box a wide table scrolls sideways in on a phone. It takes the focus so
 * a keyboard can scroll it too (the arrows move it), and it is a named
 * region so a screen reader says what that stop is.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  )
}
