import { lazy, Suspense } from 'react'
import { routeOf } from './route.ts'

// The player pulls in hls.js: load it only on the pages that play video.
const WatchPage = lazy(() => import('./watch/WatchPage.tsx'))

export default function App() {
  const route = routeOf(window.location.pathname)
  if (route.page === 'watch') {
    return (
      <Suspense fallback={<main className="watch" data-testid="player" data-state="loading" />}>
        <WatchPage key={route.titleId} titleId={route.titleId} />
      </Suspense>
    )
  }
  return <Home />
}

// The web app's shell. The gateway serves the built files; browsing and
// profiles arrive with the web app's own issue.
function Home() {
  return (
    <main className="shell">
      <h1>reelstack</h1>
      <p>Your own streaming service. The catalog appears here once titles are published.</p>
    </main>
  )
}
