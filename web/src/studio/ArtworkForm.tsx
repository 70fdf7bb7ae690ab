import { useState, type FormEvent } from 'react'
import { putArtwork } from './api.ts'

/** Replace the poster or backdrop with a picture of the studio's own (JPEG or PNG). */
export function ArtworkForm({
  titleId,
  poster,
  backdrop,
  onSaved,
}: {
  titleId: string
  poster: string | null
  backdrop: string | null
  onSaved: () => void
}) {
  const [kind, setKind] = useState<'poster' | 'backdrop'>('poster')
  const [file, setFile] = useState<File | null>(null)
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    if (!file) return
    setMessage(null)
    try {
      await putArtwork(titleId, kind, file)
      setMessage({ ok: true, text: `The ${kind} is replaced.` })
      onSaved()
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) })
    }
  }

  return (
    <form className="studio-card" onSubmit={submit} aria-label="Artwork">
      <h2>Artwork</h2>
      <div className="artwork">
        {poster ? <img src={poster} alt="Poster" loading="lazy" /> : <p>No poster yet.</p>}
        {backdrop ? <img src={backdrop} alt="Backdrop" loading="lazy" /> : <p>No backdrop yet.</p>}
      </div>
      <label>
        Replace the
        <select value={kind} onChange={(e) => setKind(e.target.value as 'poster' | 'backdrop')}>
          <option value="poster">poster</option>
          <option value="backdrop">backdrop</option>
        </select>
      </label>
      <label>
        Picture (JPEG or PNG)
        <input type="file" accept="image/jpeg,image/png" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <button type="submit" disabled={!file}>
        Upload artwork
      </button>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? '' : 'studio-error'}>
          {message.text}
        </p>
      )}
    </form>
  )
}
