import { describe, expect, it } from 'vitest'
import { parseTrickplay, thumbnailAt } from './trickplay.ts'

const VTT = `WEBVTT

00:00:00.000 --> 00:00:10.000
sprite-001.jpg#xywh=0,0,160,90

00:00:10.000 --> 00:00:20.000
sprite-001.jpg#xywh=160,0,160,90

00:00:20.000 --> 00:00:30.000
../../other/secret.jpg#xywh=0,0,160,90

00:00:30.000 --> 00:00:40.000
https://elsewhere.example/x.jpg#xywh=0,0,160,90

00:00:40.000 --> 00:00:50.000
sprite-002.jpg#xywh=0,0,160,90
`

describe('trickplay thumbnails', () => {
  const base = 'https://tv.example/media/t1/trickplay/thumbnails.vtt'

  it('reads each cue, resolving sheets beside the track', () => {
    const thumbs = parseTrickplay(VTT, base)
    expect(thumbs.map((t) => [t.start, t.url.split('/').pop(), t.x])).toEqual([
      [0, 'sprite-001.jpg', 0],
      [10, 'sprite-001.jpg', 160],
      [40, 'sprite-002.jpg', 0],
    ])
  })

  it('finds the thumbnail for a position, and none in a gap or past the end', () => {
    const thumbs = parseTrickplay(VTT, base)
    expect(thumbnailAt(thumbs, 12)?.x).toBe(160)
    expect(thumbnailAt(thumbs, 25)).toBeNull()
    expect(thumbnailAt(thumbs, 50)).toBeNull()
    expect(thumbnailAt([], 1)).toBeNull()
  })

  it('skips malformed cues', () => {
    const text = 'WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nsprite-001.jpg#xywh=0,0,1,1\n\ngarbage\n'
    expect(parseTrickplay(text, base)).toEqual([])
  })
})
