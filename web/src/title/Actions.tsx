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
        aria-pressed={thumb === 'UP'}
        disabled={busy}
        onClick={() => rate('UP')}
      >
        <Thumb up /> I like this
      </button>
      <button
        type="button"
        className="button button-secondary"
        aria-pressed={thumb === 'DOWN'}
        disabled={busy}
        onClick={() => rate('DOWN')}
      >
        <Thumb up={false} /> Not for me
      </button>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  )
}

/** A thumb drawn inline: emoji fonts are missing on many systems. */
function Thumb({ up }: { up: boolean }) {
  return (
    <svg className="thumb" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" style={up ? undefined : { transform: 'scaleY(-1)' }}>
      <path
        fill="currentColor"
        d="M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3c0-.4-.2-.8-.4-1.1L13.2 1 6.6 7.6C6.2 8 6 8.5 6 9v10a2 2 0 0 0 2 2h9c.8 0 1.5-.5 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z"
      />
    </svg>
  )
}
