import react from '@vitejs/plugin-react'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { persistedOperations } from './persistedOperations.ts'
import { serviceWorker } from './serviceWorker.ts'

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))

// https://vite.dev/config/
export default defineConfig({
  plugins: [react(), persistedOperations(here('./src/graphql')), serviceWorker(here('./sw/sw.js'))],
})
