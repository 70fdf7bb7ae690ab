// Home: a billboard and the profile's rows, as recommendations serves them.
// A part that failed is named above the rows that did come; the fallback
// rows (recommendations' cache) say so.

import { useOperation } from '../api/useOperation.ts'
import { ErrorRetry } from '../ui/ErrorRetry.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { Billboard } from './Billboard.tsx'
import { HomeRow } from './HomeRow.tsx'
import { cardOf, type HomeData, type Row } from './types.ts'
import './home.css'

/** The billboard's title: the top of trending, else the first row with one. */
export function billboardOf(rows: Row[]) {
  const ordered = [...rows.filter((r) => r.id === 'trending'), ...rows.filter((r) => r.id !== 'continue_watching')]
  for (const row of ordered) {
    for (const item of row.items) {
      const card = cardOf(item)
      if (card) return card
    }
  }
  return null
}

export default function HomePage() {
  const answer = useOperation<HomeData>('Home')
  if (answer.status === 'loading') return <Spinner label="Loading your home page" />
  if (answer.status === 'failed') {
    return <ErrorRetry error={answer.error} onRetry={answer.retry} what="your home page" />
  }
  const home = answer.result.data?.home
  if (!home) {
    const reason = new Error(answer.result.errors[0]?.message ?? 'The rows are not available.')
    return <ErrorRetry error={reason} onRetry={answer.retry} what="your home page" />
  }
  const billboard = billboardOf(home.rows)
  const missing = home.errors.map((e) => e.part.replaceAll('_', ' '))
  return (
    <div className="home" data-testid="home">
      {billboard ? (
        <Billboard card={billboard} />
      ) : (
        <h1>Nothing to watch yet: titles appear here once they are published.</h1>
      )}
      {(home.fallback || missing.length > 0) && (
        <p className="notice" role="status">
          {home.fallback ? 'Showing recent picks while recommendations catch up. ' : ''}
          {missing.length > 0 ? `Some rows are missing for now (${missing.join(', ')}).` : ''}{' '}
          <button type="button" className="link-button" onClick={answer.retry}>
            Reload
          </button>
        </p>
      )}
      {home.rows.map((row) => (
        <HomeRow key={row.id} row={row} />
      ))}
    </div>
  )
}
