// Why a title cannot be played: the errors the watch page shows, whichever
// service (playback, catalog) refused it.

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
