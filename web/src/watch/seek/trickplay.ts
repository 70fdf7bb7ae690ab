// Seek preview: media's trickplay WebVTT track, one cue per thumbnail whose
// text names a sprite sheet and the thumbnail's rectangle in it
// ("sprite-001.jpg#xywh=160,0,160,90").

export interface Thumbnail {
  start: number
  end: number
  url: string
  x: number
  y: number
  w: number
  h: number
}

const TIME = /^(?:(\d{1,3}):)?(\d{2}):(\d{2})\.(\d{3})$/
const CUE = /^(\S{1,40}) --> (\S{1,40})$/
const FRAGMENT = /^([A-Za-z0-9._/-]{1,200})#xywh=(\d{1,5}),(\d{1,5}),(\d{1,5}),(\d{1,5})$/
// A title of a few hours at one thumbnail a second, with room to spare.
const MAX_CUES = 50_000

function seconds(text: string): number | null {
  const match = TIME.exec(text)
  if (!match) return null
  const [, h, m, s, ms] = match
  return Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s) + Number(ms) / 1000
}

/**
 * The thumbnails of a trickplay track at `vttUrl`; sheet names resolve
 * against it and must stay beside it (no other folder, no other host).
 * Lines that are not a well-formed cue are skipped.
 */
export function parseTrickplay(text: string, vttUrl: string): Thumbnail[] {
  const base = new URL(vttUrl)
  const folder = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1)
  const lines = text.split(/\r?\n/)
  const out: Thumbnail[] = []
  for (let i = 0; i < lines.length - 1 && out.length < MAX_CUES; i++) {
    const cue = CUE.exec(lines[i].trim())
    if (!cue) continue
    const start = seconds(cue[1])
    const end = seconds(cue[2])
    const fragment = FRAGMENT.exec(lines[i + 1].trim())
    if (start === null || end === null || end <= start || !fragment) continue
    const url = new URL(fragment[1], base)
    if (url.origin !== base.origin || !url.pathname.startsWith(folder)) continue
    out.push({
      start,
      end,
      url: url.href,
      x: Number(fragment[2]),
      y: Number(fragment[3]),
      w: Number(fragment[4]),
      h: Number(fragment[5]),
    })
    i++
  }
  return out.sort((a, b) => a.start - b.start)
}

/** The thumbnail shown while seeking to `position` (binary search), or null. */
export function thumbnailAt(thumbnails: Thumbnail[], position: number): Thumbnail | null {
  let low = 0
  let high = thumbnails.length - 1
  while (low <= high) {
    const middle = (low + high) >> 1
    const candidate = thumbnails[middle]
    if (position < candidate.start) high = middle - 1
    else if (position >= candidate.end) low = middle + 1
    else return candidate
  }
  return null
}
