import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { persistedIds } from './persistedOperations.ts'

const FOLDER = join(import.meta.dirname, 'src', 'graphql')

describe('persistedIds', () => {
  it('hashes each file exactly as the router does (SHA-256 of its bytes)', () => {
    const text = readFileSync(join(FOLDER, 'home.graphql'))
    const ids = persistedIds(FOLDER)
    // The file starts with comments: the hash covers them and the final newline.
    expect(ids.Home).toEqual({
      id: createHash('sha256').update(text).digest('hex'),
      mutation: false,
    })
    expect(ids.RateTitle.mutation).toBe(true)
  })

  it('refuses a file without a named operation, or a name used twice', () => {
    const folder = mkdtempSync(join(tmpdir(), 'ops-'))
    writeFileSync(join(folder, 'a.graphql'), '{ me { id } }\n')
    expect(() => persistedIds(folder)).toThrow(/no named operation/)
    writeFileSync(join(folder, 'a.graphql'), 'query Me { me { id } }\n')
    writeFileSync(join(folder, 'b.graphql'), 'query Me { me { email } }\n')
    expect(() => persistedIds(folder)).toThrow(/named twice/)
  })
})
