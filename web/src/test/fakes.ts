// Test doubles shared by the unit tests: a recording fetch and an in-memory Storage.

export interface Sent {
  url: string
  init: RequestInit
}

/** A fetch that answers `responses` in turn and records what was sent. */
export function fakeFetch(...responses: (Response | Error)[]): typeof fetch & { sent: Sent[] } {
  const sent: Sent[] = []
  const fn = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    sent.push({ url: String(input), init })
    const next = responses.shift()
    if (next === undefined) throw new Error(`unexpected request to ${String(input)}`)
    if (next instanceof Error) throw next
    return next
  }) as typeof fetch & { sent: Sent[] }
  fn.sent = sent
  return fn
}

export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

export class MemoryStorage implements Storage {
  private items = new Map<string, string>()
  get length(): number {
    return this.items.size
  }
  clear(): void {
    this.items.clear()
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null
  }
  removeItem(key: string): void {
    this.items.delete(key)
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value)
  }
}
