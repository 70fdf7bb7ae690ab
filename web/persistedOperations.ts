// A Vite plugin: the web app's GraphQL operations by name, each with the id
// the router knows it by, computed when the app is built (and when tests run).
// The router reads the same files into its manifest keyed by the SHA-256 of
// each file's exact bytes (src/reelstack/router/persisted.py), so the hash is
// taken over the raw file here too, and the query text never ships.

import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Plugin } from 'vite'

export const VIRTUAL_ID = 'virtual:persisted-operations'
const RESOLVED_ID = '\0' + VIRTUAL_ID
const OPERATION_NAME = /^\s*(query|mutation|subscription)\s+([A-Za-z_][A-Za-z0-9_]*)/m

/** An operation as the client sends it: the id, and whether it may be retried. */
export interface PersistedOperation {
  id: string
  mutation: boolean
}

/** `{operation name: its id and kind}` for every `*.graphql` in `folder`. */
export function persistedIds(folder: string): Record<string, PersistedOperation> {
  const ids: Record<string, PersistedOperation> = {}
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.graphql')).sort()) {
    const raw = readFileSync(join(folder, file))
    const match = OPERATION_NAME.exec(raw.toString('utf-8'))
    if (!match) throw new Error(`${file} holds no named operation`)
    const name = match[2]
    if (name in ids) throw new Error(`${file}: the operation ${name} is named twice`)
    ids[name] = {
      id: createHash('sha256').update(raw).digest('hex'),
      mutation: match[1] === 'mutation',
    }
  }
  return ids
}

/** Serve `virtual:persisted-operations` from the `.graphql` files of `folder`. */
export function persistedOperations(folder: string): Plugin {
  return {
    name: 'reelstack-persisted-operations',
    resolveId(id) {
      return id === VIRTUAL_ID ? RESOLVED_ID : null
    },
    load(id) {
      if (id !== RESOLVED_ID) return null
      for (const file of readdirSync(folder)) {
        if (file.endsWith('.graphql')) this.addWatchFile(join(folder, file))
      }
      return `export default ${JSON.stringify(persistedIds(folder))}`
    },
  }
}
