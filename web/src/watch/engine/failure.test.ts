import { describe, expect, it } from 'vitest'
import { failureMessage } from './failure.ts'

describe('what the viewer reads when hls.js gives up', () => {
  it('names a dead last edge, a broken segment and an unreachable manifest in words', () => {
    const dead = failureMessage({ type: 'networkError', details: 'fragLoadError' } as never)
    expect(dead).toMatch(/None of the servers/)
    const broken = failureMessage({ type: 'mediaError', details: 'fragParsingError' } as never)
    expect(broken).toMatch(/damaged/)
    const manifest = failureMessage({ type: 'networkError', details: 'manifestLoadError' } as never)
    expect(manifest).toMatch(/could not be reached/)
    for (const message of [dead, broken, manifest]) expect(message).not.toMatch(/Error|frag/)
  })
})
