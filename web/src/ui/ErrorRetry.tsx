// What a page shows instead of going blank when the service fails: the
// reason in words and a button that tries again.

import { NetworkProblem } from '../api/graphql.ts'

/** The words for an error a page caught (network, server or GraphQL). */
export function describe(error: unknown): string {
  if (error instanceof NetworkProblem) {
    return error.status === null
      ? 'The service cannot be reached. Check your connection and try again.'
      : `The service is having trouble (HTTP ${error.status}). Try again in a moment.`
  }
  if (error instanceof Error && error.message) return error.message
  return 'Something went wrong.'
}

export interface ErrorRetryProps {
  error: unknown
  onRetry: () => void
  /** What failed to load, e.g. "your home page". */
  what?: string
}

export function ErrorRetry({ error, onRetry, what }: ErrorRetryProps) {
  return (
    <div className="error-retry" role="alert" data-testid="error-retry">
      <p>{what ? `We could not load ${what}.` : 'We could not load this page.'}</p>
      <p className="error-retry-reason">{describe(error)}</p>
      <button type="button" className="button" onClick={onRetry}>
        Try again
      </button>
    </div>
  )
}
