// Where the viewer was going when sign-in interrupted: kept across the
// profile picker, which comes between signing in and the page.

import { routeOf, safeNext } from '../route.ts'

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

// Pages that belong to the account, not to a profile: the studio and the ops
// console (the role is the account's; such an account may have no profile),
// the account page and the picker itself.
const ACCOUNT_PAGES = new Set(['studio', 'studioTitle', 'ops', 'account', 'profiles'])

/**
 * Where to go once signed in: straight to `next` when it is an account's page,
 * else to the profile picker, which then goes on to `next`.
 */
export function afterSignIn(next: string, storage: Storage = sessionStorage): string {
  const target = safeNext(next)
  const url = new URL(target, 'http://app.invalid')
  if (ACCOUNT_PAGES.has(routeOf(url.pathname, url.search).page)) return target
  storage.setItem(NEXT_KEY, target)
  return '/profiles'
}
