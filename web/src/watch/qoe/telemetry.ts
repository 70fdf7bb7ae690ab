// QoE telemetry: the player's events, batched to the events service
// (POST /api/events, the schemas of reelstack.events.schemas).
//
// Events are queued and sent in batches, when the batch is full or a few
// seconds after its first event, so a playing device makes one request now
// and then rather than one per event. A refused batch (the network, a 5xx)
// goes back to the front of the queue for the next send: the service
// appends a batch whole or not at all, and `seq` lets it drop the
// duplicates a retry may bring. On page hide whatever is queued leaves with
// `fetch(keepalive)`, which, unlike sendBeacon, carries the bearer token.

/** One player event, as the events service's schemas name its fields. */
export interface QoeEvent {
  type: string
  v: number
  session: string
  seq: number
  ts: number
  [field: string]: unknown
}

export type Send = (events: QoeEvent[], keepalive: boolean) => Promise<boolean>

export interface BatcherOptions {
  send: Send
  /** Events per request at most (the service's own limit is far above). */
  maxBatch?: number
  /** Milliseconds an event may wait for company before its batch leaves. */
  delayMs?: number
  /** Events kept while the service cannot be reached; the oldest go first. */
  maxQueued?: number
  schedule?: (run: () => void, ms: number) => number
  cancel?: (handle: number) => void
  now?: () => number
}

export class TelemetryBatcher {
  private queue: QoeEvent[] = []
  private timer: number | null = null
  private sending = false
  private seq = 0
  private readonly send: Send
  private readonly maxBatch: number
  private readonly delayMs: number
  private readonly maxQueued: number
  private readonly schedule: (run: () => void, ms: number) => number
  private readonly cancel: (handle: number) => void
  private readonly now: () => number
  readonly session: string

  constructor(session: string, options: BatcherOptions) {
    this.session = session
    this.send = options.send
    this.maxBatch = options.maxBatch ?? 20
    this.delayMs = options.delayMs ?? 5_000
    this.maxQueued = options.maxQueued ?? 500
    this.schedule = options.schedule ?? ((run, ms) => window.setTimeout(run, ms))
    this.cancel = options.cancel ?? ((handle) => window.clearTimeout(handle))
    this.now = options.now ?? Date.now
  }

  /** Queue an event of `type` with its fields; the common fields are added here. */
  record(type: string, fields: Record<string, unknown> = {}): void {
    this.queue.push({ ...fields, type, v: 1, session: this.session, seq: this.seq++, ts: this.now() })
    if (this.queue.length > this.maxQueued) this.queue.splice(0, this.queue.length - this.maxQueued)
    if (this.queue.length >= this.maxBatch) this.flush(false)
    else if (this.timer === null) this.timer = this.schedule(() => this.flush(false), this.delayMs)
  }

  /** Events waiting to be sent. */
  get pending(): number {
    return this.queue.length
  }

  /** Send what is queued now; with `keepalive` the request outlives the page. */
  flush(keepalive: boolean): void {
    if (this.timer !== null) {
      this.cancel(this.timer)
      this.timer = null
    }
    // One request at a time, except on page hide, when nothing comes after.
    if ((this.sending && !keepalive) || this.queue.length === 0) return
    const batch = this.queue.splice(0, this.maxBatch)
    this.sending = true
    this.send(batch, keepalive)
      .catch(() => false)
      .then((accepted) => {
        this.sending = false
        if (!accepted) this.queue.unshift(...batch)
        else if (this.queue.length > 0 && this.timer === null) {
          this.timer = this.schedule(() => this.flush(false), this.delayMs)
        }
      })
      .catch((error: unknown) => console.warn('telemetry send failed', error))
    // On page hide, everything goes now, a batch per request.
    if (keepalive && this.queue.length > 0) this.flush(true)
  }
}
