import { describe, expect, it } from 'vitest'
import { routeOf } from '../route.ts'
import { documentTitle, mayTakeFocus, pageKey, pageLabel } from './pageChange.ts'

describe('a page change', () => {
  it('is a new page, not a new query of the same search', () => {
    expect(pageKey(routeOf('/search', '?q=h'))).toBe(pageKey(routeOf('/search', '?q=ha')))
    expect(pageKey(routeOf('/title/a'))).not.toBe(pageKey(routeOf('/title/b')))
    expect(pageKey(routeOf('/'))).not.toBe(pageKey(routeOf('/my-list')))
    expect(pageKey(routeOf('/watch/a'))).not.toBe(pageKey(routeOf('/title/a')))
  })

  it('names the page in the document title', () => {
    expect(documentTitle(pageLabel(routeOf('/my-list')))).toBe('My list · reelstack')
    expect(documentTitle(pageLabel(routeOf('/search', '?q=owl')))).toBe('Search: owl · reelstack')
    expect(pageLabel(routeOf('/ops'))).toBe('Ops console')
    expect(pageLabel(routeOf('/studio/titles/x'))).toBe('Studio')
  })

  it('takes focus only where the move left it, never from what the page focused itself', () => {
    const body = { id: 'body' } as unknown as Element
    const link = { id: 'link' } as unknown as Element
    const searchBox = { id: 'search' } as unknown as Element
    expect(mayTakeFocus(body, link, body)).toBe(true) // the followed link went away
    expect(mayTakeFocus(link, link, body)).toBe(true) // a header link, still there
    expect(mayTakeFocus(null, link, body)).toBe(true)
    expect(mayTakeFocus(searchBox, link, body)).toBe(false) // autofocus, or the viewer moved on
  })
})
