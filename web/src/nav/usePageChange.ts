import { useEffect, useRef } from 'react'
import { movesSinceLoad, type Route } from '../route.ts'
import { documentTitle, mayTakeFocus, pageKey, pageLabel } from './pageChange.ts'

// A page loads its code and often its data before its heading exists: wait
// that long for it (a slow network), then settle for the main landmark.
const HEADING_WAIT_MS = 10_000

// Rendered only: while the new page's code loads, React keeps the old page
// in the document, hidden (display: none), heading and all.
function firstShown(selector: string): HTMLElement | null {
  for (const element of document.querySelectorAll<HTMLElement>(selector)) {
    if (element.getClientRects().length > 0) return element
  }
  return null
}

function mainHeading(): HTMLElement | null {
  return firstShown('main h1') ?? firstShown('h1')
}

function focusQuietly(element: HTMLElement): void {
  // A heading or landmark is not focusable by default; -1 keeps it out of the tab order.
  if (!element.hasAttribute('tabindex')) element.setAttribute('tabindex', '-1')
  element.focus()
}

/**
 * Names the page in the document's title on every page change, and after a
 * move between pages (not the first load) moves focus to the new page's main
 * heading once it shows, or to the main landmark if none shows in time.
 */
export function usePageChange(route: Route): void {
  const key = pageKey(route)
  const label = pageLabel(route)
  const shown = useRef<string | null>(null)

  useEffect(() => {
    document.title = documentTitle(label)
  }, [label])

  useEffect(() => {
    const first = shown.current === null
    shown.current = key
    if (first || movesSinceLoad() === 0) return
    const atMove = document.activeElement
    const deadline = window.setTimeout(() => settle(true), HEADING_WAIT_MS)
    const watcher = new MutationObserver(() => settle(false))
    function settle(late: boolean): void {
      if (!mayTakeFocus(document.activeElement, atMove, document.body)) return stop()
      const target = mainHeading() ?? (late ? firstShown('main') : null)
      if (!target) return
      focusQuietly(target)
      // Focus can fail (an element about to be hidden): keep watching until it holds.
      if (document.activeElement === target || late) stop()
    }
    function stop(): void {
      window.clearTimeout(deadline)
      watcher.disconnect()
    }
    watcher.observe(document.body, { childList: true, subtree: true })
    settle(false)
    return stop
  }, [key])
}
