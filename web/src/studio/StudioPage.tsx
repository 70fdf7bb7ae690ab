import { RoleGate } from '../roles/RoleGate.tsx'
import { usePoll } from '../roles/usePoll.ts'
import { listTitles } from './api.ts'
import { TitleList } from './TitleList.tsx'
import { UploadForm } from './UploadForm.tsx'
import '../roles/console.css'
import { STUDIO_ROLES } from '../nav/sections.ts'

/** The studio's home: upload a title, and every title with its state. */
export default function StudioPage() {
  return (
    <RoleGate roles={STUDIO_ROLES} area="studio">
      <Studio />
    </RoleGate>
  )
}

function Studio() {
  // Titles move through their states while encoding: list them again now and then.
  const titles = usePoll(listTitles, 5000)
  return (
    <main className="studio" data-testid="studio">
      <h1>Studio</h1>
      <UploadForm onUploaded={() => titles.reload()} />
      <section className="studio-card" aria-labelledby="titles-heading">
        <h2 id="titles-heading">Titles</h2>
        {titles.error && (
          <p role="alert" className="studio-error">
            {titles.error} <button onClick={titles.reload}>Retry</button>
          </p>
        )}
        {titles.data ? <TitleList titles={titles.data} /> : !titles.error && <p>Loading…</p>}
      </section>
    </main>
  )
}
