// The app's pages, each in its own chunk, loaded when first shown (the
// player's hls.js loads only on /watch) or earlier when a page can tell it
// is next (the title page fetches the player's code while the viewer reads).
//
// A page whose code is already here is rendered directly, without suspending:
// React keeps a Suspense fallback on screen at least 300 ms once it has shown
// one (its fallback throttle), so a page that suspended for a chunk that
// arrives 30 ms later still appeared 300 ms later. main.tsx loads the first
// route's page before the first render for the same reason.

import { lazy, type ComponentType, type JSX } from 'react'
import type { Route } from './route.ts'

type Module<P> = { default: ComponentType<P> }

export interface PageModule<P extends object> {
  /** Renders the page: directly once its code is in, through React.lazy before. */
  Page: (props: P) => JSX.Element
  /** Starts loading the page's code (once); resolves when it is in. */
  preload: () => Promise<void>
}

export function pageModule<P extends object>(load: () => Promise<Module<P>>): PageModule<P> {
  let loaded: ComponentType<P> | null = null
  let pending: Promise<Module<P>> | null = null
  const fetchOnce = () =>
    (pending ??= load().then(
      (module) => {
        loaded = module.default
        return module
      },
      (error: unknown) => {
        // A failed chunk (network, a deploy replaced it) is asked for again next time.
        pending = null
        throw error
      },
    ))
  const Lazy = lazy(fetchOnce)
  function Page(props: P) {
    const Shown = loaded ?? Lazy
    return <Shown {...props} />
  }
  return { Page, preload: () => fetchOnce().then(() => undefined) }
}

export const watchPage = pageModule(() => import('./watch/WatchPage.tsx'))
export const signInPage = pageModule(() => import('./auth/SignInPage.tsx'))
export const signUpPage = pageModule(() => import('./auth/SignUpPage.tsx'))
export const profilesPage = pageModule(() => import('./profiles/ProfilesPage.tsx'))
export const homePage = pageModule(() => import('./home/HomePage.tsx'))
export const titlePage = pageModule(() => import('./title/TitlePage.tsx'))
export const searchPage = pageModule(() => import('./search/SearchPage.tsx'))
export const myListPage = pageModule(() => import('./mylist/MyListPage.tsx'))
export const accountPage = pageModule(() => import('./account/AccountPage.tsx'))
// The studio and the ops console: their own chunks, never in a viewer's first load.
export const studioPage = pageModule(() => import('./studio/StudioPage.tsx'))
export const studioTitlePage = pageModule(() => import('./studio/StudioTitlePage.tsx'))
export const opsPage = pageModule(() => import('./ops/OpsPage.tsx'))

const PAGES: Record<Route['page'], PageModule<never>> = {
  watch: watchPage,
  signin: signInPage,
  signup: signUpPage,
  profiles: profilesPage,
  home: homePage,
  title: titlePage,
  search: searchPage,
  myList: myListPage,
  account: accountPage,
  studio: studioPage,
  studioTitle: studioTitlePage,
  ops: opsPage,
}

/** The page module that shows `route`. */
export function pageOf(route: Route): PageModule<never> {
  return PAGES[route.page]
}
