// A title's page: what it is, who is in it, the profile's progress, and for
// an episode the series' seasons. A title the profile may not see (a mature
// one on a kids profile) comes back null from catalog: shown as not found.

import { useEffect } from 'react'
import { useOperation } from '../api/useOperation.ts'
import { watchPage } from '../pages.tsx'
import { Artwork } from '../ui/Artwork.tsx'
import { ErrorRetry } from '../ui/ErrorRetry.tsx'
import { Link } from '../ui/Link.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { Actions } from './Actions.tsx'
import { Episodes } from './Episodes.tsx'
import { duration, type TitleData } from './types.ts'
import './title.css'

export default function TitlePage({ titleId }: { titleId: string }) {
  const answer = useOperation<TitleData>('Title', { id: titleId })
  const title = answer.status === 'done' ? answer.result.data?.title : null
  useEffect(() => {
    document.title = title ? `${title.name} · reelstack` : 'reelstack'
  }, [title])
  // Play is what a title page leads to: the player's code (hls.js) loads while the viewer reads.
  useEffect(() => {
    watchPage.preload().catch(() => undefined)
  }, [])
  if (answer.status === 'loading') return <Spinner label="Loading the title" />
  if (answer.status === 'failed') {
    return <ErrorRetry error={answer.error} onRetry={answer.retry} what="this title" />
  }
  if (!title) {
    if (answer.result.errors.length > 0 && answer.result.data?.title !== null) {
      const reason = new Error(answer.result.errors[0].message)
      return <ErrorRetry error={reason} onRetry={answer.retry} what="this title" />
    }
    return (
      <section className="title-missing" data-testid="title-missing">
        <h1>Title not found</h1>
        <p>This title is not available for this profile.</p>
        <Link to="/">Back to home</Link>
      </section>
    )
  }
  const heading = title.series ? title.series.name : title.name
  const facts = [
    title.maturityRating,
    title.season != null && title.episode != null ? `S${title.season} E${title.episode}` : null,
    duration(title.durationS),
  ].filter(Boolean)
  return (
    <article className="title-page" data-testid="title" data-title-id={title.id}>
      <div className="title-hero">
        <Artwork src={title.artwork.backdrop ?? title.artwork.poster} name={heading} shape="backdrop" eager />
      </div>
      <div className="title-body">
        <h1>{heading}</h1>
        {title.series && <h2 className="title-episode-name">{title.name}</h2>}
        <p className="title-facts">
          {facts.map((fact, i) => (
            <span key={i} className={i === 0 ? 'maturity' : undefined} data-testid={i === 0 ? 'maturity' : undefined}>
              {fact}
            </span>
          ))}
        </p>
        {title.progress && (
          <span
            className="progress title-progress"
            role="progressbar"
            aria-label={`${Math.round(title.progress.fraction * 100)}% watched`}
            aria-valuenow={Math.round(title.progress.fraction * 100)}
            aria-valuemin={0}
            aria-valuemax={100}
          >
            <span className="progress-done" style={{ width: `${title.progress.fraction * 100}%` }} />
          </span>
        )}
        <Actions title={title} />
        <p className="title-synopsis">{title.synopsis}</p>
        {title.genres.length > 0 && <p className="title-meta">Genres: {title.genres.join(', ')}</p>}
        {title.cast.length > 0 && (
          <p className="title-meta">
            Cast:{' '}
            {title.cast
              .map((c) => (c.character ? `${c.name} (${c.character})` : `${c.name}, ${c.role}`))
              .join(', ')}
          </p>
        )}
        {title.nextEpisode && (
          <p className="title-meta">
            Next:{' '}
            <Link to={`/title/${encodeURIComponent(title.nextEpisode.id)}`}>
              S{title.nextEpisode.season} E{title.nextEpisode.episode} · {title.nextEpisode.name}
            </Link>
          </p>
        )}
      </div>
      {title.series && <Episodes series={title.series} current={title.id} />}
    </article>
  )
}
