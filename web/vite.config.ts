import react from '@vitejs/plugin-react'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import { persistedOperations } from './persistedOperations.ts'

const operations = fileURLToPath(new URL('./src/graphql', import.meta.url))

// https://vite.dev/config/
export default defineConfig({
  plugins: [react(), persistedOperations(operations)],
})
