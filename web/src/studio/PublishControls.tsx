import { useState } from 'react'
import { setPublished, type StudioTitle } from './api.ts'

/** Whether viewers see the title, and the button that changes it. */
export function PublishControls({
  title,
  onChanged,
}: {
  title: StudioTitle | null
  onChanged: (t: StudioTitle) => void
}) {
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  if (!title) {
    return (
      <section className="studio-card" aria-label="Publishing">
        <h2>Publishing</h2>
        <p>The catalog lists the title once media has published its files.</p>
      </section>
    )
  }
  const change = async (publish: boolean) => {
    setBusy(true)
    setError(null)
    try {
      onChanged(await setPublished(title.id, publish))
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught))
    } finally {
      setBusy(false)
    }
  }
  return (
    <section className="studio-card" aria-label="Publishing" data-testid="publishing" data-visible={title.visible}>
      <h2>Publishing</h2>
      <p>
        {title.visible
          ? 'Viewers see this title (their rating and region still apply).'
          : title.withheld
            ? 'Unpublished: no viewer sees this title.'
            : 'Not published yet: media has no files for it.'}
      </p>
      {title.visible ? (
        <button disabled={busy} onClick={() => void change(false)}>
          Unpublish
        </button>
      ) : (
        <button disabled={busy} onClick={() => void change(true)}>
          Publish
        </button>
      )}
      {error && (
        <p role="alert" className="studio-error">
          {error}
        </p>
      )}
    </section>
  )
}
