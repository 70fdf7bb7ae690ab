import { describe, expect, it } from 'vitest'
import { billboardOf } from './HomePage.tsx'
import { cardOf, type Row, type RowItem } from './types.ts'

const art = { poster: '/p.jpg', backdrop: '/b.jpg' }

function film(id: string, name = id): RowItem {
  return {
    progress: null,
    series: null,
    title: {
      id,
      kind: 'film',
      name,
      synopsis: `${name} synopsis`,
      maturityRating: 'PG',
      season: null,
      episode: null,
      artwork: art,
      series: null,
    },
  }
}

describe('cardOf', () => {
  it('shows an episode under its series with its number', () => {
    const item: RowItem = {
      progress: 0.4,
      series: null,
      title: { ...film('e1').title!, name: 'Pilot', season: 1, episode: 2, series: { id: 's', name: 'Show' } },
    }
    expect(cardOf(item)).toMatchObject({ titleId: 'e1', name: 'Show', detail: 'S1 E2 · Pilot', progress: 0.4 })
  })

  it('opens a series at its first episode, with that episode artwork', () => {
    const item: RowItem = {
      progress: null,
      title: null,
      series: {
        id: 's',
        name: 'Show',
        synopsis: '',
        seasons: [{ episodes: [{ id: 'e1', artwork: { poster: null, backdrop: '/e1.jpg' } }] }],
      },
    }
    expect(cardOf(item)).toMatchObject({ titleId: 'e1', name: 'Show', poster: null, backdrop: '/e1.jpg' })
  })

  it('skips an item the graph could not fill in (a part down) or an empty series', () => {
    expect(cardOf({ progress: null, title: null, series: null })).toBeNull()
    const empty: RowItem = { progress: null, title: null, series: { id: 's', name: 'S', synopsis: '', seasons: [] } }
    expect(cardOf(empty)).toBeNull()
  })
})

describe('billboardOf', () => {
  it('features the top of trending, never a half-watched title', () => {
    const rows: Row[] = [
      { id: 'continue_watching', name: 'Continue watching', items: [film('cw')] },
      { id: 'genre:drama', name: 'Drama', items: [film('d')] },
      { id: 'trending', name: 'Trending', items: [{ progress: null, title: null, series: null }, film('t')] },
    ]
    expect(billboardOf(rows)?.titleId).toBe('t')
    expect(billboardOf(rows.slice(0, 2))?.titleId).toBe('d')
    expect(billboardOf(rows.slice(0, 1))).toBeNull()
  })
})
