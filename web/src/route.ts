// Client-side routes, read from the address bar. The gateway answers every
// path outside the API with index.html, so a deep link such as
// /watch/<titleId> lands here and this decides what to show.

export type Route = { page: 'home' } | { page: 'watch'; titleId: string }

const WATCH = /^\/watch\/([^/]+)\/?$/

/** The route a path names; anything unknown shows the home page. */
export function routeOf(pathname: string): Route {
  const match = WATCH.exec(pathname)
  if (match) {
    try {
      return { page: 'watch', titleId: decodeURIComponent(match[1]) }
    } catch {
      // A malformed escape (%E0%A4%A) names no title: fall through to home.
    }
  }
  return { page: 'home' }
}
