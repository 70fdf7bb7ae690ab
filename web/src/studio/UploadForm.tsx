import { Link } from '../ui/Link.tsx'
import { useRef, useState, type FormEvent } from 'react'
import type { Upload } from 'tus-js-client'
import { RATINGS } from './api.ts'
import { makeUpload, unfinished, type UploadMeta } from './upload.ts'

type Phase =
  | { kind: 'idle' }
  | { kind: 'uploading'; sent: number; total: number; resumed: boolean }
  | { kind: 'done'; titleId: string | null }
  | { kind: 'failed'; message: string }

/** Pick a source file, describe it, and send it with tus (resumable). */
export function UploadForm({ onUploaded }: { onUploaded: (titleId: string | null) => void }) {
  const [file, setFile] = useState<File | null>(null)
  const [meta, setMeta] = useState<UploadMeta>({
    title: '',
    synopsis: '',
    maturity_rating: 'TV-PG',
    genres: '',
  })
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' })
  const upload = useRef<Upload | null>(null)
  const titleId = useRef<string | null>(null)

  const field = (name: keyof UploadMeta) => ({
    value: meta[name],
    onChange: (event: { target: { value: string } }) =>
      setMeta({ ...meta, [name]: event.target.value }),
  })

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!file) return
    titleId.current = null
    const next = makeUpload(file, meta, {
      onProgress: (sent, total) =>
        setPhase((p) => ({
          kind: 'uploading',
          sent,
          total,
          resumed: p.kind === 'uploading' && p.resumed,
        })),
      onTitle: (id) => {
        titleId.current = id
      },
      onError: (message) => setPhase({ kind: 'failed', message }),
      onSuccess: () => {
        setPhase({ kind: 'done', titleId: titleId.current })
        onUploaded(titleId.current)
      },
    })
    upload.current = next
    // The same file chosen again after a reload: carry on where the server stopped.
    const previous = await unfinished(next)
    if (previous.length > 0) next.resumeFromPreviousUpload(previous[0])
    setPhase({ kind: 'uploading', sent: 0, total: file.size, resumed: previous.length > 0 })
    next.start()
  }

  const busy = phase.kind === 'uploading'
  return (
    <form className="studio-card upload-form" onSubmit={submit} aria-label="Upload a title">
      <h2>Upload a title</h2>
      <label>
        Source video
        <input
          type="file"
          accept="video/*,.mp4,.mov,.mkv,.webm"
          required
          disabled={busy}
          onChange={(event) => setFile(event.target.files?.[0] ?? null)}
        />
      </label>
      <label>
        Title
        <input type="text" maxLength={300} placeholder="from the file name if empty" {...field('title')} />
      </label>
      <label>
        Synopsis
        <textarea maxLength={2000} rows={3} {...field('synopsis')} />
      </label>
      <label>
        Maturity rating
        <select {...field('maturity_rating')}>
          {RATINGS.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <label>
        Genres (comma separated)
        <input type="text" maxLength={400} {...field('genres')} />
      </label>
      <div className="studio-actions">
        <button type="submit" disabled={busy || !file}>
          Upload
        </button>
        {busy && (
          <button type="button" onClick={() => void upload.current?.abort()}>
            Pause
          </button>
        )}
      </div>
      <UploadStatus phase={phase} />
    </form>
  )
}

function UploadStatus({ phase }: { phase: Phase }) {
  if (phase.kind === 'idle') return null
  if (phase.kind === 'failed') {
    return (
      <p role="alert" className="studio-error">
        {phase.message}
      </p>
    )
  }
  if (phase.kind === 'done') {
    return (
      <p role="status" data-testid="upload-done">
        Uploaded.{' '}
        {phase.titleId && <Link to={`/studio/titles/${encodeURIComponent(phase.titleId)}`}>Follow its encoding</Link>}
      </p>
    )
  }
  const percent = phase.total > 0 ? Math.floor((phase.sent / phase.total) * 100) : 0
  return (
    <div role="status">
      {phase.resumed && <p>Resuming the earlier upload of this file.</p>}
      <progress max={100} value={percent} aria-label="Upload progress" data-testid="upload-progress" />
      <span> {percent}%</span>
    </div>
  )
}
