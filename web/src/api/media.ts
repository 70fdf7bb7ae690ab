// The media service's title API, as the gateway publishes it under /api/media.

/** The fields of a title the web app uses (the API returns more). */
export interface Title {
  id: string
  name: string
  synopsis: string
  state: string
  reason: string | null
  duration_s: number | null
  master_url: string | null
  poster_url: string | null
}

export type TitleProblem = 'not-found' | 'not-ready' | 'unauthorized' | 'unavailable'

/** Why a title cannot be played, with a message meant for the viewer. */
export class TitleError extends Error {
  readonly problem: TitleProblem

  constructor(problem: TitleProblem, message: string) {
    super(message)
    this.name = 'TitleError'
    this.problem = problem
  }
}

/** Fetch one title; a missing title, a refused request or an outage is a TitleError. */
export async function fetchTitle(titleId: string, signal?: AbortSignal): Promise<Title> {
  let response: Response
  try {
    response = await fetch(`/api/media/titles/${encodeURIComponent(titleId)}`, {
      headers: { accept: 'application/json' },
      signal,
    })
  } catch (error) {
    if (signal?.aborted) throw error
    throw new TitleError('unavailable', 'The service cannot be reached. Try again in a moment.')
  }
  if (response.status === 404) {
    throw new TitleError('not-found', 'This title does not exist.')
  }
  if (response.status === 401 || response.status === 403) {
    throw new TitleError('unauthorized', 'Sign in to watch this title.')
  }
  if (!response.ok) {
    throw new TitleError(
      'unavailable',
      `The service could not load this title (HTTP ${response.status}). Try again in a moment.`,
    )
  }
  return (await response.json()) as Title
}

/** The HLS address of a title that can be played; a TitleError says why not otherwise. */
export function playableUrl(title: Title): string {
  if (title.state === 'ready' && title.master_url) return title.master_url
  const reason = title.reason ? `: ${title.reason}` : ''
  switch (title.state) {
    case 'refused':
      throw new TitleError('not-ready', `This title's video was refused${reason}.`)
    case 'failed':
      throw new TitleError('not-ready', `This title could not be encoded${reason}.`)
    default:
      throw new TitleError(
        'not-ready',
        `This title is not ready to play yet (${title.state}). Try again in a few minutes.`,
      )
  }
}
