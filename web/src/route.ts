// Client-side routes, read from the address bar. The gateway answers every
// path outside the API with index.html, so a deep link such as
// /watch/<titleId> lands here and this decides what to show. Every page of
// the app is named here, so areas add pages without touching each other.

import { useSyncExternalStore } from 'react'

export type Route =
  | { page: 'home' }
  | { page: 'signin'; next: string }
  | { page: 'signup' }
  | { page: 'profiles' }
  | { page: 'title'; titleId: string }
  | { page: 'search'; query: string }
  | { page: 'myList' }
  | { page: 'account' }
  | { page: 'watch'; titleId: string }
  | { page: 'studio' }
  | { page: 'studioTitle'; titleId: string }
  | { page: 'ops' }

export type Page = Route['page']

const FIXED: Record<string, Route> = {
  '/': { page: 'home' },
  '/signup': { page: 'signup' },
  '/profiles': { page: 'profiles' },
  '/my-list': { page: 'myList' },
  '/account': { page: 'account' },
  '/studio': { page: 'studio' },
  '/ops': { page: 'ops' },
}

const WITH_ID: [RegExp, 'title' | 'watch' | 'studioTitle'][] = [
  [/^\/title\/([^/]+)$/, 'title'],
  [/^\/watch\/([^/]+)$/, 'watch'],
  [/^\/studio\/titles\/([^/]+)$/, 'studioTitle'],
]

/**
 * Where to go back to after signing in: only a path of this app. An absolute
 * or protocol-relative URL ("//evil.example") would make sign-in an open
 * redirect, so anything else goes home.
 */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/'
  return next
}

/** The route a location names; anything unknown shows the home page. */
export function routeOf(pathname: string, search = ''): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/+$/, '') : pathname
  const params = new URLSearchParams(search)
  if (path === '/signin') return { page: 'signin', next: safeNext(params.get('next')) }
  if (path === '/search') return { page: 'search', query: params.get('q') ?? '' }
  const fixed = FIXED[path]
  if (fixed) return fixed
  for (const [pattern, page] of WITH_ID) {
    const match = pattern.exec(path)
    if (!match) continue
    try {
      return { page, titleId: decodeURIComponent(match[1]) }
    } catch {
      // A malformed escape (%E0%A4%A) names no title: fall through to home.
    }
  }
  return { page: 'home' }
}

/** The path (with its query) that shows `route`: the inverse of routeOf. */
export function pathOf(route: Route): string {
  switch (route.page) {
    case 'home':
      return '/'
    case 'signin':
      return route.next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(route.next)}`
    case 'signup':
      return '/signup'
    case 'profiles':
      return '/profiles'
    case 'title':
      return `/title/${encodeURIComponent(route.titleId)}`
    case 'search':
      return route.query ? `/search?q=${encodeURIComponent(route.query)}` : '/search'
    case 'myList':
      return '/my-list'
    case 'account':
      return '/account'
    case 'watch':
      return `/watch/${encodeURIComponent(route.titleId)}`
    case 'studio':
      return '/studio'
    case 'studioTitle':
      return `/studio/titles/${encodeURIComponent(route.titleId)}`
    case 'ops':
      return '/ops'
  }
}

const listeners = new Set<() => void>()
// Moves the viewer made since the page loaded (a link followed, the back
// button): redirects with `replace` are not moves, so the first load's own
// redirects (sign-in, profiles) still count as the first load.
let moves = 0

function notify(): void {
  for (const listener of listeners) listener()
}

function onPopState(): void {
  moves++
  notify()
}

/** How many times the viewer has moved between pages since this page loaded. */
export function movesSinceLoad(): number {
  return moves
}

/**
 * Show `path` without reloading the page. `replace` keeps the history entry
 * (typing in search must not leave one entry per key in the back button).
 */
export function navigate(path: string, { replace = false }: { replace?: boolean } = {}): void {
  if (replace) history.replaceState(null, '', path)
  else {
    history.pushState(null, '', path)
    moves++
  }
  notify()
}

/** The path of the page shown now, as `next` for sign-in. */
export function currentPath(): string {
  return window.location.pathname + window.location.search
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener)
  if (listeners.size === 1) window.addEventListener('popstate', onPopState)
  return () => {
    listeners.delete(listener)
    if (listeners.size === 0) window.removeEventListener('popstate', onPopState)
  }
}

/** The location's route, re-rendering on navigate() and the back button. */
export function useRoute(): Route {
  const location = useSyncExternalStore(subscribe, currentPath)
  const at = location.indexOf('?')
  return routeOf(at < 0 ? location : location.slice(0, at), at < 0 ? '' : location.slice(at))
}
