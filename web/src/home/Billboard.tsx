// The big picture at the top of home: one title to start watching now.

import { Artwork } from '../ui/Artwork.tsx'
import { Link } from '../ui/Link.tsx'
import type { Card } from './types.ts'

export function Billboard({ card }: { card: Card }) {
  const id = encodeURIComponent(card.titleId)
  return (
    <section className="billboard" aria-labelledby="billboard-title" data-testid="billboard">
      <Artwork src={card.backdrop ?? card.poster} name={card.name} shape="backdrop" eager />
      <div className="billboard-text">
        <h1 id="billboard-title">{card.name}</h1>
        {card.synopsis && <p className="billboard-synopsis">{card.synopsis}</p>}
        <div className="billboard-actions">
          <Link to={`/watch/${id}`} className="button">
            ▶ Play
          </Link>
          <Link to={`/title/${id}`} className="button button-secondary">
            More info
          </Link>
        </div>
      </div>
    </section>
  )
}
