// A series' seasons (one shown at a time) and their episodes with progress.

import { useState } from 'react'
import { Link } from '../ui/Link.tsx'
import { duration, type TitleDetail } from './types.ts'

type SeriesOf = NonNullable<TitleDetail['series']>

export function Episodes({ series, current }: { series: SeriesOf; current: string }) {
  const holding = series.seasons.find((s) => s.episodes.some((e) => e.id === current))
  const [shown, setShown] = useState(holding?.number ?? series.seasons[0]?.number ?? null)
  const season = series.seasons.find((s) => s.number === shown) ?? series.seasons[0]
  if (!season) return null
  return (
    <section className="episodes" aria-labelledby="episodes-title">
      <div className="episodes-head">
        <h2 id="episodes-title">Episodes</h2>
        {series.seasons.length > 1 && (
          <label>
            <span className="visually-hidden">Season</span>
            <select value={String(shown)} onChange={(e) => setShown(Number(e.target.value))}>
              {series.seasons.map((s) => (
                <option key={String(s.number)} value={String(s.number)}>
                  Season {s.number}
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <ol className="episode-list">
        {season.episodes.map((episode) => (
          <li key={episode.id} aria-current={episode.id === current ? 'true' : undefined}>
            <Link to={`/title/${encodeURIComponent(episode.id)}`} className="episode">
              <span className="episode-number">{episode.episode}</span>
              <span className="episode-name">{episode.name}</span>
              <span className="episode-length">{duration(episode.durationS)}</span>
              {episode.progress && (
                <span
                  className="progress"
                  role="progressbar"
                  aria-label={`${Math.round(episode.progress.fraction * 100)}% watched`}
                  aria-valuenow={Math.round(episode.progress.fraction * 100)}
                  aria-valuemin={0}
                  aria-valuemax={100}
                >
                  <span className="progress-done" style={{ width: `${episode.progress.fraction * 100}%` }} />
                </span>
              )}
            </Link>
          </li>
        ))}
      </ol>
    </section>
  )
}
