// What the viewer reads when hls.js gives up: words, and whether a retry may help.

import type { ErrorData } from 'hls.js'

const NETWORK = 'networkError'
const MEDIA = 'mediaError'

/** The message for a fatal hls.js error (after every edge has been tried). */
export function failureMessage(error: Pick<ErrorData, 'type' | 'details'>): string {
  const details = String(error.details)
  if (details.startsWith('manifest')) {
    return 'The video could not be reached. Check your connection and try again.'
  }
  if (error.type === NETWORK) {
    // hls.js reports a network error as fatal once no pathway (edge) is left.
    return 'None of the servers for this video answered. Try again in a moment.'
  }
  if (error.type === MEDIA || details.startsWith('frag') || details.startsWith('buffer')) {
    return 'Part of this video is damaged and could not be played. Try again, or skip ahead.'
  }
  if (error.type === 'keySystemError' || details.startsWith('key')) {
    return 'This video could not be unlocked for this play. Try again.'
  }
  return 'The video stopped unexpectedly. Try again.'
}
