export { SessionProvider } from './SessionProvider.tsx'
export { useSession, type ChosenProfile, type SessionValue } from './context.ts'
export { sessionStore, createSessionStore, type SessionStore } from './store.ts'
