import { describe, expect, it } from 'vitest'
import { TitleError } from './media.ts'
import { PlayEndedError, StreamLimitError } from './playback.ts'
import { heartbeat, saveBookmark, startPlay, stopPlay, type Run } from './plays.ts'

function answering(data: unknown, errors: unknown[] = []): Run & { calls: unknown[][] } {
  const calls: unknown[][] = []
  const run = (async (
    name: string,
    variables?: Record<string, unknown>,
    options?: { keepalive?: boolean },
  ) => {
    calls.push(options === undefined ? [name, variables] : [name, variables, options])
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

describe('leaving the page', () => {
  it('stops the play with a request that outlives the page', async () => {
    const run = answering({ stopPlay: true })
    await stopPlay(run, 'play-1', true)
    expect(run.calls).toEqual([['StopPlay', { playId: 'play-1' }, { keepalive: true }]])
  })

  it("saves the bookmark in the graph's words", async () => {
    const run = answering({ saveBookmark: true })
    const mark = { position_s: 5, duration_s: 10, device: 'web-1', watched_at: '2026-12-07T08:00:00.000Z' }
    await saveBookmark(run, 't/1', mark, true)
    expect(run.calls).toEqual([
      [
        'SaveBookmark',
        {
          titleId: 't/1',
          bookmark: { positionS: 5, durationS: 10, device: 'web-1', watchedAt: '2026-12-07T08:00:00.000Z' },
        },
        { keepalive: true },
      ],
    ])
  })

  it('reports a refused bookmark with the reason', async () => {
    const run = answering(null, [{ message: 'bookmark position_s: past the end' }])
    const mark = { position_s: 50, duration_s: 10, device: 'web-1', watched_at: '2026-12-07T08:00:00.000Z' }
    await expect(saveBookmark(run, 't1', mark)).rejects.toThrow('past the end')
  })
})
