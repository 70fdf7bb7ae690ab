import { Link } from '../ui/Link.tsx'
import { useState } from 'react'
import { RoleGate } from '../roles/RoleGate.tsx'
import { RestError } from '../roles/rest.ts'
import { usePoll } from '../roles/usePoll.ts'
import { job, jobIsOver, mediaTitle, studioTitle, type MediaTitle, type StudioTitle } from './api.ts'
import { ArtworkForm } from './ArtworkForm.tsx'
import { EncodingProgress } from './EncodingProgress.tsx'
import { LadderTable } from './LadderTable.tsx'
import { MetaForm } from './MetaForm.tsx'
import { PublishControls } from './PublishControls.tsx'
import { STUDIO_ROLES } from '../nav/sections.ts'
import '../roles/console.css'

const FINAL = new Set(['refused', 'ready', 'failed'])
const POLL_MS = 2000

/** One title in the studio: its encoding, ladder, metadata, artwork and publishing. */
export default function StudioTitlePage({ titleId }: { titleId: string }) {
  return (
    <RoleGate roles={STUDIO_ROLES} area="studio">
      <StudioTitleView titleId={titleId} />
    </RoleGate>
  )
}

async function catalogCopy(titleId: string): Promise<StudioTitle | null> {
  try {
    return await studioTitle(titleId)
  } catch (error) {
    // The catalog learns of a title when media publishes it.
    if (error instanceof RestError && error.status === 404) return null
    throw error
  }
}

function StudioTitleView({ titleId }: { titleId: string }) {
  const media = usePoll(() => mediaTitle(titleId), POLL_MS, (t) => !t || !FINAL.has(t.state), titleId)
  const jobId = media.data?.job_id ?? null
  const encoding = usePoll(
    () => (jobId ? job(jobId) : Promise.resolve(null)),
    POLL_MS,
    (j) => jobId !== null && (!j || !jobIsOver(j.state)),
    jobId,
  )
  const ready = media.data?.state === 'ready'
  const catalog = usePoll(() => catalogCopy(titleId), POLL_MS, (c) => ready && c === null, `${titleId}:${ready}`)
  const [edited, setEdited] = useState<StudioTitle | null>(null)
  const shown = edited ?? catalog.data

  if (media.error && !media.data) {
    return (
      <main className="studio">
        <p role="alert" className="studio-error">
          {media.error} <button onClick={media.reload}>Retry</button>
        </p>
      </main>
    )
  }
  if (!media.data) return <main className="studio">Loading…</main>
  const title: MediaTitle = media.data
  return (
    <main className="studio" data-testid="studio-title" data-state={title.state}>
      <p>
        <Link to="/studio">← Studio</Link>
      </p>
      <h1>{shown?.name ?? title.name}</h1>
      <p>
        State: <strong data-testid="title-state">{title.state}</strong>
        {title.duration_s != null && <> · {Math.round(title.duration_s)} s</>}
      </p>
      {title.reason && (
        <p role="alert" className="studio-error">
          {title.reason}
        </p>
      )}
      {encoding.data && <EncodingProgress job={encoding.data} />}
      <section className="studio-card" aria-labelledby="ladder-heading">
        <h2 id="ladder-heading">Ladder</h2>
        <LadderTable rungs={title.rungs.length > 0 ? title.rungs : (encoding.data?.rungs ?? [])} />
      </section>
      <PublishControls title={shown} onChanged={setEdited} />
      {shown && <MetaForm key={shown.id} title={shown} onSaved={setEdited} />}
      <ArtworkForm
        titleId={title.id}
        poster={title.poster_url}
        backdrop={title.backdrop_url}
        onSaved={media.reload}
      />
      {shown?.visible && (
        <p>
          <Link to={`/watch/${encodeURIComponent(title.id)}`}>Watch it as a viewer</Link>
        </p>
      )}
    </main>
  )
}
