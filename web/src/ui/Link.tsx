// An in-app link: a real <a href> (middle-click, copy link and keyboard work)
// that moves without reloading the page on a plain click.

import type { AnchorHTMLAttributes, MouseEvent } from 'react'
import { navigate } from '../route.ts'

export interface LinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  to: string
}

export function Link({ to, onClick, ...rest }: LinkProps) {
  function follow(event: MouseEvent<HTMLAnchorElement>) {
    onClick?.(event)
    const plain = event.button === 0 && !event.metaKey && !event.ctrlKey && !event.shiftKey && !event.altKey
    if (event.defaultPrevented || !plain) return
    event.preventDefault()
    navigate(to)
    window.scrollTo(0, 0)
  }
  return <a href={to} onClick={follow} {...rest} />
}
