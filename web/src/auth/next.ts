// Where the viewer was going when sign-in interrupted: kept across the
// profile picker, which comes between signing in and the page.

import { safeNext } from '../route.ts'

const NEXT_KEY = 'reelstack.next'

export function rememberNext(next: string): void {
  sessionStorage.setItem(NEXT_KEY, safeNext(next))
}

/** The page to show once a profile is chosen (home when none was waiting). */
export function takeNext(): string {
  const next = safeNext(sessionStorage.getItem(NEXT_KEY))
  sessionStorage.removeItem(NEXT_KEY)
  return next
}
