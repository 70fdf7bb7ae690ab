import { describe, expect, it } from 'vitest'
import { TitleError } from './media.ts'
import { PlayEndedError, StreamLimitError } from './playback.ts'
import { heartbeat, startPlay, type Run } from './plays.ts'

function answering(data: unknown, errors: unknown[] = []): Run & { calls: unknown[][] } {
  const calls: unknown[][] = []
  const run = (async (name: string, variables?: Record<string, unknown>) => {
    calls.push([name, variables])
    return { data, errors }
  }) as Run & { calls: unknown[][] }
  run.calls = calls
  return run
}

const device = { id: 'web-1', name: 'Chrome on Linux' }

describe('plays through the graph', () => {
  it("maps a started play to the player's shape", async () => {
    const run = answering({
      startPlay: {
        id: 'a'.repeat(32),
        title: { id: 'ep1' },
        manifestUrl: '/api/playback/manifests/t/plays/x/master.m3u8',
        resumeS: 40,
        leaseExpiresAt: '2026-12-07T08:00:00Z',
        heartbeatS: 30,
        intro: { startS: 5, endS: 35 },
        creditsStartS: 100,
        nextEpisode: { id: 'ep2' },
      },
    })
    const play = await startPlay(run, 'ep1', device)
    expect(run.calls).toEqual([['StartPlay', { titleId: 'ep1', device }]])
    expect(play).toMatchObject({
      play_id: 'a'.repeat(32),
      resume_s: 40,
      heartbeat_s: 30,
      intro: { start_s: 5, end_s: 35 },
      credits_start_s: 100,
      next_episode_id: 'ep2',
    })
  })

  it('turns the stream limit into the devices list, ignoring malformed entries', async () => {
    const run = answering({ startPlay: null }, [
      {
        message: 'your plan streams on 2 devices at once',
        extensions: {
          code: 'STREAM_LIMIT',
          devices: [
            { deviceId: 'tv1', name: 'Living room', titleId: 'f1', since: '2026-12-07T07:00:00Z' },
            { deviceId: 42 },
            'junk',
          ],
        },
      },
    ])
    const refused = await startPlay(run, 'ep1', device).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(StreamLimitError)
    expect((refused as StreamLimitError).devices.map((d) => d.name)).toEqual(['Living room'])
  })

  it('says a title the profile may not see does not exist', async () => {
    const run = answering({ startPlay: null }, [{ message: 'no such title' }])
    const refused = await startPlay(run, 'secret', device).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(TitleError)
    expect((refused as TitleError).problem).toBe('not-found')
  })

  it('reports an ended play on heartbeat', async () => {
    const run = answering({ heartbeat: null }, [
      { message: 'the play has ended', extensions: { code: 'PLAY_ENDED' } },
    ])
    await expect(heartbeat(run, 'b'.repeat(32))).rejects.toBeInstanceOf(PlayEndedError)
    await expect(heartbeat(answering({ heartbeat: { playId: 'x' } }), 'x')).resolves.toBeUndefined()
  })
})
