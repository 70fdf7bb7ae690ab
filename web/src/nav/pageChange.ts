// What a move between pages of the single-page app tells the viewer: the
// document's title names the new page, and (after a move, never on the first
// load) focus goes to the new page's main heading, so a keyboard or screen
// reader user hears that the page changed instead of staying on a link that
// no longer leads anywhere. These are the pure decisions; usePageChange.ts
// applies them to the document.

import type { Route } from '../route.ts'

const APP = 'reelstack'

/**
 * Which page a route shows, ignoring what changes within a page: a search's
 * query changes with every key typed, and must not move focus off the box.
 */
export function pageKey(route: Route): string {
  switch (route.page) {
    case 'title':
    case 'watch':
    case 'studioTitle':
      return `${route.page}:${route.titleId}`
    default:
      return route.page
  }
}

/** The page's name for the document's title (pages that know better, a title's, set their own). */
export function pageLabel(route: Route): string {
  switch (route.page) {
    case 'home':
      return 'Home'
    case 'signin':
      return 'Sign in'
    case 'signup':
      return 'Create an account'
    case 'profiles':
      return 'Who is watching?'
    case 'title':
      return 'Title'
    case 'search':
      return route.query ? `Search: ${route.query}` : 'Search'
    case 'myList':
      return 'My list'
    case 'account':
      return 'Account'
    case 'watch':
      return 'Watch'
    case 'studio':
    case 'studioTitle':
      return 'Studio'
    case 'ops':
      return 'Ops console'
  }
}

/** "<page> · reelstack", as the title pages and the player write theirs. */
export function documentTitle(label: string): string {
  return `${label} · ${APP}`
}

/**
 * Whether to move focus to the new page's heading now. Not when the viewer
 * (or the page, by autofocus: the search box, a PIN field) has put focus
 * somewhere since the move: only when it is still where the move left it
 * (the followed link, which a shared header keeps) or nowhere (`body`,
 * where focus falls when the link's page is taken away).
 */
export function mayTakeFocus(
  active: Element | null,
  atMove: Element | null,
  body: Element | null,
): boolean {
  return active === null || active === body || active === atMove
}
