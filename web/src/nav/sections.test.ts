import { describe, expect, it } from 'vitest'
import { roleSections } from './sections.ts'

const labels = (roles: string[]) => roleSections(roles).map((s) => s.label)

describe('the header links by role', () => {
  it('links the studio for studio, the ops console (and the studio) for admin', () => {
    expect(labels(['studio'])).toEqual(['Studio'])
    expect(labels(['admin'])).toEqual(['Studio', 'Ops'])
    expect(roleSections(['admin']).map((s) => s.to)).toEqual(['/studio', '/ops'])
  })

  it('links neither for a viewer, no roles, or a role it does not know', () => {
    expect(labels(['viewer'])).toEqual([])
    expect(labels([])).toEqual([])
    expect(labels(['Admin', 'studio '])).toEqual([])
  })
})
