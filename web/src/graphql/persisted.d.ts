// The operations' persisted ids, made at build time by persistedOperations.ts.
declare module 'virtual:persisted-operations' {
  /** Operation name -> the SHA-256 (hex) the router's manifest knows its file by. */
  const operations: Record<string, { id: string; mutation: boolean }>
  export default operations
}
