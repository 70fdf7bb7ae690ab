// The profile's list, newest first as catalog keeps it.

import { useOperation } from '../api/useOperation.ts'
import { ErrorRetry } from '../ui/ErrorRetry.tsx'
import { Link } from '../ui/Link.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { TitleCard } from '../ui/TitleCard.tsx'

interface Listed {
  id: string
  kind: string
  name: string
  artwork: { poster: string | null }
}

export default function MyListPage() {
  const answer = useOperation<{ myList: Listed[] | null }>('MyList')
  if (answer.status === 'loading') return <Spinner label="Loading your list" />
  if (answer.status === 'failed') {
    return <ErrorRetry error={answer.error} onRetry={answer.retry} what="your list" />
  }
  const listed = answer.result.data?.myList
  if (!listed) {
    const reason = new Error(answer.result.errors[0]?.message ?? 'Your list is not available.')
    return <ErrorRetry error={reason} onRetry={answer.retry} what="your list" />
  }
  return (
    <section aria-labelledby="my-list-title" data-testid="my-list-page">
      <h1 id="my-list-title">My list</h1>
      {listed.length === 0 ? (
        <p>
          Nothing here yet. Add titles with “+ My list” on their page, or <Link to="/search">search</Link>.
        </p>
      ) : (
        <ul className="card-grid" style={{ listStyle: 'none', padding: 0 }}>
          {listed.map((title) => (
            <li key={title.id}>
              <TitleCard id={title.id} name={title.name} artwork={title.artwork.poster} />
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
