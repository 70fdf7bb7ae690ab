// One title in a row or a grid: its artwork, name and the profile's progress,
// linking to the title's page.

import { Artwork } from './Artwork.tsx'
import { Link } from './Link.tsx'

export interface TitleCardProps {
  id: string
  name: string
  artwork?: string | null
  /** How much the profile has watched, 0..1; no bar when null. */
  progress?: number | null
  /** Shown under the name (e.g. "S1 E2" or the series' name). */
  detail?: string | null
  /** A rank badge for the top 10 row. */
  rank?: number | null
  shape?: 'poster' | 'backdrop'
}

export function TitleCard({
  id,
  name,
  artwork,
  progress,
  detail,
  rank,
  shape = 'poster',
}: TitleCardProps) {
  const watched = progress == null ? null : Math.min(1, Math.max(0, progress))
  return (
    <Link
      to={`/title/${encodeURIComponent(id)}`}
      className="title-card"
      data-testid="title-card"
      data-title-id={id}
    >
      {rank != null && (
        <span className="title-card-rank" aria-label={`number ${rank}`}>
          {rank}
        </span>
      )}
      <Artwork src={artwork} name={name} shape={shape} />
      {watched != null && (
        <span
          className="progress"
          role="progressbar"
          aria-label={`${Math.round(watched * 100)}% watched`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(watched * 100)}
        >
          <span className="progress-done" style={{ width: `${watched * 100}%` }} />
        </span>
      )}
      <span className="title-card-name">{name}</span>
      {detail && <span className="title-card-detail">{detail}</span>}
    </Link>
  )
}
