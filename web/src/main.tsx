import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import './index.css'
import './ui/ui.css'
import App from './App.tsx'
import { pageOf } from './pages.tsx'
import { routeOf } from './route.ts'

// The first page's code before the first render: a page that suspends shows
// its fallback for at least 300 ms (React's fallback throttle), far longer
// than a local chunk takes. A slow network gets the fallback after a second.
const FIRST_PAGE_WAIT_MS = 1000
let rendered = false
const render = () => {
  if (rendered) return
  rendered = true
  createRoot(document.getElementById('root')!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
}
pageOf(routeOf(window.location.pathname, window.location.search))
  .preload()
  .catch(() => undefined) // the page's own loading reports it
  .finally(render)
window.setTimeout(render, FIRST_PAGE_WAIT_MS)

// The app shell's worker (sw/sw.js): only in a build, where it exists; after
// load so it never competes with the first page for the network.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch((error: unknown) => {
      console.warn('the app shell will not work offline:', error)
    })
  })
}
