import { describe, expect, it } from 'vitest'
import { pathOf, routeOf, safeNext, type Route } from './route.ts'

describe('routeOf', () => {
  it.each<[string, string, Route]>([
    ['/', '', { page: 'home' }],
    ['/signin', '?next=%2Ftitle%2Ft1', { page: 'signin', next: '/title/t1' }],
    ['/signup', '', { page: 'signup' }],
    ['/profiles', '', { page: 'profiles' }],
    ['/title/t%201', '', { page: 'title', titleId: 't 1' }],
    ['/search', '?q=star%20wars', { page: 'search', query: 'star wars' }],
    ['/search', '', { page: 'search', query: '' }],
    ['/my-list', '', { page: 'myList' }],
    ['/account/', '', { page: 'account' }],
    ['/watch/abc', '', { page: 'watch', titleId: 'abc' }],
    ['/studio', '', { page: 'studio' }],
    ['/studio/titles/x9', '', { page: 'studioTitle', titleId: 'x9' }],
    ['/ops', '', { page: 'ops' }],
  ])('%s%s', (path, search, route) => {
    expect(routeOf(path, search)).toEqual(route)
  })

  it('shows home for an unknown path, a malformed escape or a nested id', () => {
    expect(routeOf('/nowhere')).toEqual({ page: 'home' })
    expect(routeOf('/title/%E0%A4%A')).toEqual({ page: 'home' })
    expect(routeOf('/title/a/b')).toEqual({ page: 'home' })
  })

  it('round-trips every route through pathOf', () => {
    const routes: Route[] = [
      { page: 'home' },
      { page: 'signin', next: '/search?q=a&b' },
      { page: 'signin', next: '/' },
      { page: 'title', titleId: 'a/b?c' },
      { page: 'search', query: 'x & y' },
      { page: 'watch', titleId: 'w' },
      { page: 'studioTitle', titleId: 's' },
      { page: 'myList' },
    ]
    for (const route of routes) {
      const url = new URL(pathOf(route), 'http://app.test')
      expect(routeOf(url.pathname, url.search)).toEqual(route)
    }
  })
})

describe('safeNext', () => {
  it('keeps a path of the app', () => {
    expect(safeNext('/title/t1?x=1')).toBe('/title/t1?x=1')
  })

  it.each(['https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:alert(1)', '', null])(
    'sends %s home instead of off the site',
    (next) => {
      expect(safeNext(next)).toBe('/')
    },
  )

  it('refuses an open redirect through the sign-in link', () => {
    expect(routeOf('/signin', '?next=//evil.example')).toEqual({ page: 'signin', next: '/' })
  })
})
