import { Suspense } from 'react'
import { renderToString } from 'react-dom/server'
import { describe, expect, it, vi } from 'vitest'
import { homePage, pageModule, pageOf, studioTitlePage, titlePage, watchPage } from './pages.tsx'
import { routeOf } from './route.ts'

function Greeting({ name }: { name: string }) {
  return <p>hello {name}</p>
}

const shown = (page: (props: { name: string }) => React.JSX.Element) =>
  renderToString(
    <Suspense fallback={<p>loading</p>}>
      {page({ name: 'ada' })}
    </Suspense>,
  )

describe('pageModule', () => {
  it('renders a page whose code is in directly, without the fallback', async () => {
    const load = vi.fn(() => Promise.resolve({ default: Greeting }))
    const module = pageModule(load)
    await module.preload()
    expect(shown(module.Page)).toContain('hello <!-- -->ada')
    expect(shown(module.Page)).not.toContain('loading')
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('suspends on a page whose code is not in yet', () => {
    const module = pageModule(() => new Promise<{ default: typeof Greeting }>(() => undefined))
    expect(shown(module.Page)).toContain('loading')
  })

  it('loads a page once however often it is asked for', async () => {
    const load = vi.fn(() => Promise.resolve({ default: Greeting }))
    const module = pageModule(load)
    await Promise.all([module.preload(), module.preload(), module.preload()])
    expect(load).toHaveBeenCalledTimes(1)
  })

  it('asks again after a failed load (a lost network, a replaced chunk)', async () => {
    const load = vi
      .fn<() => Promise<{ default: typeof Greeting }>>()
      .mockRejectedValueOnce(new Error('offline'))
      .mockResolvedValueOnce({ default: Greeting })
    const module = pageModule(load)
    await expect(module.preload()).rejects.toThrow('offline')
    await module.preload()
    expect(load).toHaveBeenCalledTimes(2)
    expect(shown(module.Page)).toContain('ada')
  })
})

describe('pageOf', () => {
  it('names the page module each route shows', () => {
    expect(pageOf(routeOf('/watch/t1'))).toBe(watchPage)
    expect(pageOf(routeOf('/title/t1'))).toBe(titlePage)
    expect(pageOf(routeOf('/'))).toBe(homePage)
    expect(pageOf(routeOf('/nowhere'))).toBe(homePage)
    expect(pageOf(routeOf('/studio/titles/t1'))).toBe(studioTitlePage)
  })
})
