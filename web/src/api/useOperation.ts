// A page's query as React state: loading, the result (data and any partial
// errors), or the failure to show with a retry.

import { useCallback, useEffect, useState } from 'react'
import { runOperation, type GraphQLResult } from './graphql.ts'

export type OperationState<TData> =
  | { status: 'loading' }
  | { status: 'done'; result: GraphQLResult<TData> }
  | { status: 'failed'; error: unknown }

/**
 * Run the query `name` with `variables` (compared by value) and again on
 * `retry()`. `skip` holds it back (e.g. an empty search).
 */
export function useOperation<TData>(
  name: string,
  variables: Record<string, unknown> = {},
  { skip = false }: { skip?: boolean } = {},
): OperationState<TData> & { retry: () => void } {
  const [state, setState] = useState<OperationState<TData>>({ status: 'loading' })
  const [attempt, setAttempt] = useState(0)
  const key = JSON.stringify(variables)
  useEffect(() => {
    if (skip) return
    let current = true
    setState({ status: 'loading' })
    runOperation<TData>(name, JSON.parse(key) as Record<string, unknown>).then(
      (result) => current && setState({ status: 'done', result }),
      (error: unknown) => current && setState({ status: 'failed', error }),
    )
    return () => {
      current = false
    }
  }, [name, key, attempt, skip])
  const retry = useCallback(() => setAttempt((n) => n + 1), [])
  return { ...state, retry }
}
