// One row of the home page: a labelled strip of cards, scrolled sideways.

import { TitleCard } from '../ui/TitleCard.tsx'
import { cardOf, type Row } from './types.ts'

export function HomeRow({ row }: { row: Row }) {
  const cards = row.items.map(cardOf).filter((c) => c !== null)
  if (cards.length === 0) return null
  const ranked = row.id === 'top10'
  const watching = row.id === 'continue_watching'
  const headingId = `row-${row.id.replace(/[^A-Za-z0-9_-]/g, '-')}`
  return (
    <section className="home-row" aria-labelledby={headingId} data-row={row.id}>
      <h2 id={headingId}>{row.name}</h2>
      <ul className="home-row-items">
        {cards.map((card, index) => (
          <li key={card.key}>
            <TitleCard
              id={card.titleId}
              name={card.name}
              detail={card.detail}
              artwork={watching ? card.backdrop ?? card.poster : card.poster ?? card.backdrop}
              shape={watching ? 'backdrop' : 'poster'}
              progress={watching ? card.progress ?? 0 : null}
              rank={ranked ? index + 1 : null}
            />
          </li>
        ))}
      </ul>
    </section>
  )
}
