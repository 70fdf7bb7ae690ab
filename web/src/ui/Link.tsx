// An in-app link: a real <a href> (middle-click, copy link and keyboard work)
// that moves without reloading the page on a plain click. Pointing at it,
// touching it or focusing it starts loading the code of the page it leads to,
// so the click rarely waits for a chunk.

import type { AnchorHTMLAttributes, MouseEvent } from 'react'
import { pageOf } from '../pages.tsx'
import { navigate, routeOf } from '../route.ts'

export interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string
}

/** Starts loading the code of the page `to` shows (an in-app path); failures wait for the click. */
export function preloadPage(to: string): void {
  const url = new URL(to, window.location.origin)
  pageOf(routeOf(url.pathname, url.search))
    .preload()
    .catch(() => undefined)
}

export function Link({ to, onClick, onPointerEnter, onFocus, onTouchStart, ...rest }: LinkProps) {
  function follow(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event)
    const plain = event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey
    if (event.defaultPrevented || !plain) return
    event.preventDefault()
    navigate(to)
    window.scrollTo(0, 0)
  }
  return (
    <a
      href={to}
      onClick={follow}
      onPointerEnter={(event) => {
        onPointerEnter?.(event)
        preloadPage(to)
      }}
      onFocus={(event) => {
        onFocus?.(event)
        preloadPage(to)
      }}
      onTouchStart={(event) => {
        onTouchStart?.(event)
        preloadPage(to)
      }}
      {...rest}
    />
  )
}
