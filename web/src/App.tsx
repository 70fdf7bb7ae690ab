// The app's pages by route (their code: pages.tsx).

import { Suspense, useEffect, type ReactNode } from 'react'
import { usePageChange } from './nav/usePageChange.ts'
import {
  accountPage,
  homePage,
  myListPage,
  opsPage,
  profilesPage,
  searchPage,
  signInPage,
  signUpPage,
  studioPage,
  studioTitlePage,
  titlePage,
  watchPage,
} from './pages.tsx'
import { currentPath, navigate, useRoute, type Route } from './route.ts'
import { SessionProvider } from './session/SessionProvider.tsx'
import { useSession } from './session/context.ts'
import { Layout } from './ui/Layout.tsx'
import { Spinner } from './ui/Spinner.tsx'

const WatchPage = watchPage.Page
const SignInPage = signInPage.Page
const SignUpPage = signUpPage.Page
const ProfilesPage = profilesPage.Page
const HomePage = homePage.Page
const TitlePage = titlePage.Page
const SearchPage = searchPage.Page
const MyListPage = myListPage.Page
const AccountPage = accountPage.Page
const StudioPage = studioPage.Page
const StudioTitlePage = studioTitlePage.Page
const OpsPage = opsPage.Page

export default function App() {
  return (
    <SessionProvider>
      <Pages />
    </SessionProvider>
  )
}

/** What a page needs before it can show: nothing, a session, or a chosen profile too. */
type Needs = 'nothing' | 'session' | 'profile'

function Pages() {
  const route = useRoute()
  usePageChange(route)
  if (route.page === 'watch') {
    // The player signs in and picks a profile itself, full screen.
    return (
      <Suspense fallback={<main className="watch" data-testid="player" data-state="loading" />}>
        <WatchPage key={route.titleId} titleId={route.titleId} />
      </Suspense>
    )
  }
  const [needs, page] = viewerPage(route)
  return (
    <Guard needs={needs}>
      {needs === 'nothing' ? (
        <Suspense fallback={<Spinner />}>{page}</Suspense>
      ) : (
        <Layout>
          <Suspense fallback={<Spinner />}>{page}</Suspense>
        </Layout>
      )}
    </Guard>
  )
}

function viewerPage(route: Exclude<Route, { page: 'watch' }>): [Needs, ReactNode] {
  switch (route.page) {
    case 'signin':
      return ['nothing', <SignInPage next={route.next} />]
    case 'signup':
      return ['nothing', <SignUpPage />]
    case 'profiles':
      return ['session', <ProfilesPage />]
    case 'account':
      return ['session', <AccountPage />]
    case 'title':
      return ['profile', <TitlePage key={route.titleId} titleId={route.titleId} />]
    case 'search':
      return ['profile', <SearchPage query={route.query} />]
    case 'myList':
      return ['profile', <MyListPage />]
    // A studio or admin account may have no profile: the role is the account's.
    case 'studio':
      return ['session', <StudioPage />]
    case 'studioTitle':
      return ['session', <StudioTitlePage key={route.titleId} titleId={route.titleId} />]
    case 'ops':
      return ['session', <OpsPage />]
    case 'home':
      return ['profile', <HomePage />]
  }
}

/** Shows `children` once the session has what the page needs, else sends the viewer there. */
function Guard({ needs, children }: { needs: Needs; children: ReactNode }) {
  const { session } = useSession()
  const missing =
    needs === 'nothing'
      ? null
      : !session
        ? `/signin?next=${encodeURIComponent(currentPath())}`
        : needs === 'profile' && !session.profileId
          ? '/profiles'
          : null
  useEffect(() => {
    if (missing) navigate(missing, { replace: true })
  }, [missing])
  return missing ? <Spinner /> : children
}
