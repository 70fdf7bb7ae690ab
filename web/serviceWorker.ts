// A Vite plugin that writes the app shell's service worker (sw.js) at build
// time with the bundle's file names in it. Hand-written rather than
// vite-plugin-pwa: the rules are four lines (shell cached, everything else
// untouched) and Workbox would add a large build dependency to state them.

import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Plugin } from 'vite'

/** Emit `sw.js` from `template`, filling in the shell's files and a version. */
export function serviceWorker(template: string): Plugin {
  return {
    name: 'reelstack-service-worker',
    apply: 'build',
    // After the files are written: earlier, the bundle still lists chunks that
    // Vite drops (the empty script of a CSS-only chunk), and one missing file
    // fails the worker's whole install.
    writeBundle(options, bundle) {
      const shell = ['/', ...Object.keys(bundle).filter((f) => f.startsWith('assets/')).map((f) => `/${f}`)].sort()
      const version = createHash('sha256').update(shell.join('\n')).digest('hex').slice(0, 12)
      const source = readFileSync(template, 'utf-8')
        .replace('self.__SHELL__', JSON.stringify(shell))
        .replace('self.__VERSION__', JSON.stringify(version))
      writeFileSync(join(options.dir ?? 'dist', 'sw.js'), source)
    },
  }
}
