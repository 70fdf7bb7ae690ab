// Search as you type: the address bar follows the box (shareable, back
// works) without one history entry per key, and the graph is asked only once
// typing pauses.

import { useEffect, useState } from 'react'
import { useOperation } from '../api/useOperation.ts'
import { navigate } from '../route.ts'
import { ErrorRetry } from '../ui/ErrorRetry.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { TitleCard } from '../ui/TitleCard.tsx'
import { useDebounced } from './useDebounced.ts'
import './search.css'

interface Found {
  id: string
  kind: string
  name: string
  genres: string[]
  maturityRating: string
  artwork: { poster: string | null }
  series: { id: string; name: string } | null
}

const PAUSE_MS = 300
const MAX_QUERY = 100

export default function SearchPage({ query }: { query: string }) {
  const [typed, setTyped] = useState(query)
  const settled = useDebounced(typed.trim().slice(0, MAX_QUERY), PAUSE_MS)
  useEffect(() => {
    const path = settled ? `/search?q=${encodeURIComponent(settled)}` : '/search'
    if (path !== window.location.pathname + window.location.search) navigate(path, { replace: true })
  }, [settled])
  const answer = useOperation<{ search: Found[] | null }>('Search', { query: settled, limit: 40 }, { skip: !settled })

  return (
    <section className="search" aria-labelledby="search-title">
      <h1 id="search-title" className="visually-hidden">
        Search
      </h1>
      <label className="search-box">
        <span className="visually-hidden">Titles, genres, people</span>
        <input
          type="search"
          name="q"
          placeholder="Titles, genres, people"
          autoFocus
          autoComplete="off"
          maxLength={MAX_QUERY}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
      </label>
      <Results query={settled} answer={answer} />
    </section>
  )
}

function Results({ query, answer }: { query: string; answer: ReturnType<typeof useOperation<{ search: Found[] | null }>> }) {
  if (!query) return <p className="search-hint">Type to search the catalog.</p>
  if (answer.status === 'loading') return <Spinner label="Searching" />
  if (answer.status === 'failed') return <ErrorRetry error={answer.error} onRetry={answer.retry} what="the results" />
  const found = answer.result.data?.search
  if (!found) {
    return <ErrorRetry error={new Error(answer.result.errors[0]?.message)} onRetry={answer.retry} what="the results" />
  }
  if (found.length === 0) return <p role="status">Nothing matches “{query}”.</p>
  return (
    <ul className="card-grid" aria-label={`Results for ${query}`} data-testid="results">
      {found.map((title) => (
        <li key={title.id}>
          <TitleCard
            id={title.id}
            name={title.series ? title.series.name : title.name}
            detail={title.series ? title.name : title.genres.slice(0, 2).join(', ')}
            artwork={title.artwork.poster}
          />
        </li>
      ))}
    </ul>
  )
}
