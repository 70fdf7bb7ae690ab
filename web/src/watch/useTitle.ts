import { useEffect, useState } from 'react'
import { fetchTitle, playableUrl, TitleError, type Title, type TitleProblem } from '../api/media.ts'

export type TitleLoad =
  | { kind: 'loading' }
  | { kind: 'ready'; title: Title; src: string }
  | { kind: 'error'; title: Title | null; problem: TitleProblem; message: string }

/** Load a title and the address to play it from. */
export function useTitle(titleId: string): TitleLoad {
  const [load, setLoad] = useState<TitleLoad>({ kind: 'loading' })

  useEffect(() => {
    const abort = new AbortController()
    fetchTitle(titleId, abort.signal)
      .then((title) => {
        try {
          setLoad({ kind: 'ready', title, src: playableUrl(title) })
        } catch (error) {
          setLoad(failed(error, title))
        }
      })
      .catch((error: unknown) => {
        if (!abort.signal.aborted) setLoad(failed(error, null))
      })
    return () => abort.abort()
  }, [titleId])

  return load
}

function failed(error: unknown, title: Title | null): TitleLoad {
  if (error instanceof TitleError) {
    return { kind: 'error', title, problem: error.problem, message: error.message }
  }
  console.error('loading the title failed', error)
  return {
    kind: 'error',
    title,
    problem: 'unavailable',
    message: 'Something went wrong loading this title.',
  }
}
