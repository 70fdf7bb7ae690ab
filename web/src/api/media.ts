// Why a title cannot be played: the errors the watch page shows, whichever
// service (playback, catalog) refused it.

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
