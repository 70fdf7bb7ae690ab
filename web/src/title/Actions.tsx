// Play, my list and thumbs for a title. Each change is sent to the graph and
// shown once it is accepted; a refusal or a lost network is said in words.

import { useState } from 'react'
import { runOperation } from '../api/graphql.ts'
import { describe } from '../ui/ErrorRetry.tsx'
import { Link } from '../ui/Link.tsx'
import type { Thumb, TitleDetail } from './types.ts'

export function Actions({ title }: { title: TitleDetail }) {
  const [listed, setListed] = useState(title.inMyList)
  const [thumb, setThumb] = useState<Thumb>(title.thumb)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const resume = title.progress && title.progress.fraction > 0.01 && title.progress.fraction < 0.95

  async function change(name: string, variables: Record<string, unknown>, apply: () => void) {
    setBusy(true)
    setProblem(null)
    try {
      const { data, errors } = await runOperation<Record<string, unknown>>(name, variables)
      if (data && Object.values(data).every((v) => v !== null) && errors.length === 0) apply()
      else setProblem(errors[0]?.message ?? 'That did not work. Try again.')
    } catch (error) {
      setProblem(describe(error))
    } finally {
      setBusy(false)
    }
  }

  function rate(next: Thumb) {
    const value = thumb === next ? 'NONE' : next
    void change('RateTitle', { titleId: title.id, thumb: value }, () => setThumb(value))
  }

  return (
    <div className="title-actions">
      <Link to={`/watch/${encodeURIComponent(title.id)}`} className="button" data-testid="play">
        ▶ {resume ? 'Resume' : 'Play'}
      </Link>
      <button
        type="button"
        className="button button-secondary"
        data-testid="my-list"
        aria-pressed={listed}
        disabled={busy}
        onClick={() =>
          void change(listed ? 'RemoveFromMyList' : 'AddToMyList', { titleId: title.id }, () =>
            setListed(!listed),
          )
        }
      >
        {listed ? '✓ In my list' : '+ My list'}
      </button>
      <button
        type="button"
        className="button button-secondary"
        aria-label="I like this"
        aria-pressed={thumb === 'UP'}
        disabled={busy}
        onClick={() => rate('UP')}
      >
        👍
      </button>
      <button
        type="button"
        className="button button-secondary"
        aria-label="Not for me"
        aria-pressed={thumb === 'DOWN'}
        disabled={busy}
        onClick={() => rate('DOWN')}
      >
        👎
      </button>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  )
}
