/** The "Are you still watching?" question; playback stays paused until it is answered. */
export function StillWatching({ onContinue, onLeave }: { onContinue: () => void; onLeave: () => void }) {
  return (
    <div className="still-watching" role="alertdialog" aria-labelledby="still-watching-question">
      <p id="still-watching-question">Are you still watching?</p>
      <button type="button" autoFocus onClick={onContinue}>
        Continue watching
      </button>
      <button type="button" onClick={onLeave}>
        Back to browsing
      </button>
    </div>
  )
}
