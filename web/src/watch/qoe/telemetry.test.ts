import { describe, expect, it } from 'vitest'
import { TelemetryBatcher, type QoeEvent } from './telemetry.ts'

function harness(answers: boolean[] = []) {
  const sent: { events: QoeEvent[]; keepalive: boolean }[] = []
  const timers = new Map<number, () => void>()
  let next = 1
  let clock = 1_000
  const batcher = new TelemetryBatcher('play1', {
    maxBatch: 3,
    delayMs: 5_000,
    maxQueued: 5,
    send: async (events, keepalive) => {
      sent.push({ events, keepalive })
      return answers.shift() ?? true
    },
    schedule: (run) => {
      timers.set(next, run)
      return next++
    },
    cancel: (handle) => timers.delete(handle),
    now: () => clock++,
  })
  const fire = () => {
    const pending = [...timers.values()]
    timers.clear()
    pending.forEach((run) => run())
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0))
  return { batcher, sent, timers, fire, settle }
}

describe('QoE telemetry batching', () => {
  it('sends a full batch at once, with the common fields and a rising seq', async () => {
    const { batcher, sent } = harness()
    batcher.record('rebuffer_start', { position_ms: 1 })
    batcher.record('rebuffer_end', { position_ms: 2, duration_ms: 30 })
    expect(sent).toEqual([])
    batcher.record('pause', { position_ms: 3 })
    expect(sent).toHaveLength(1)
    expect(sent[0].events.map((e) => [e.type, e.v, e.session, e.seq])).toEqual([
      ['rebuffer_start', 1, 'play1', 0],
      ['rebuffer_end', 1, 'play1', 1],
      ['pause', 1, 'play1', 2],
    ])
    expect(sent[0].events[1]).toMatchObject({ duration_ms: 30, ts: 1_001 })
  })

  it('sends a partial batch after the delay', () => {
    const { batcher, sent, fire, timers } = harness()
    batcher.record('pause', { position_ms: 3 })
    expect(timers.size).toBe(1)
    fire()
    expect(sent.map((s) => s.events.length)).toEqual([1])
  })

  it('keeps a refused batch for the next send, in order, and never sends two at once', async () => {
    const { batcher, sent, fire, settle } = harness([false, true])
    batcher.record('pause', { position_ms: 1 })
    fire()
    batcher.record('pause', { position_ms: 2 })
    fire() // the first request is still out: wait for it
    expect(sent).toHaveLength(1)
    await settle()
    expect(batcher.pending).toBe(2)
    batcher.flush(false)
    expect(sent[1].events.map((e) => e.seq)).toEqual([0, 1])
  })

  it('flushes everything with keepalive on page hide, a batch per request', () => {
    const { batcher, sent } = harness()
    batcher.record('pause', { position_ms: 1 })
    batcher.record('pause', { position_ms: 2 })
    batcher.flush(true)
    expect(sent).toEqual([{ events: expect.any(Array), keepalive: true }])
    expect(batcher.pending).toBe(0)
  })

  it('drops the oldest events when the service stays out of reach', () => {
    const { batcher } = harness(Array(10).fill(false))
    for (let i = 0; i < 8; i++) batcher.record('pause', { position_ms: i })
    expect(batcher.pending).toBeLessThanOrEqual(5)
  })
})
