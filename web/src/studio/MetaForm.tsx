import { useState, type FormEvent } from 'react'
import { editMeta, RATINGS, type StudioTitle } from './api.ts'

/** Edit what viewers read: name, synopsis, rating, genres (the catalog's copy). */
export function MetaForm({ title, onSaved }: { title: StudioTitle; onSaved: (t: StudioTitle) => void }) {
  const [name, setName] = useState(title.name)
  const [synopsis, setSynopsis] = useState(title.synopsis)
  const [rating, setRating] = useState(title.maturity_rating)
  const [genres, setGenres] = useState(title.genres.join(', '))
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    setMessage(null)
    try {
      const saved = await editMeta(title.id, {
        name,
        synopsis,
        maturity_rating: rating,
        genres: genres.split(',').map((g) => g.trim()).filter(Boolean),
      })
      onSaved(saved)
      setMessage({ ok: true, text: 'Saved.' })
    } catch (error) {
      setMessage({ ok: false, text: error instanceof Error ? error.message : String(error) })
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="studio-card" onSubmit={submit} aria-label="Metadata">
      <h2>Metadata</h2>
      <label>
        Name
        <input type="text" value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label>
        Synopsis
        <textarea rows={4} value={synopsis} onChange={(e) => setSynopsis(e.target.value)} />
      </label>
      <label>
        Maturity rating
        <select value={rating} onChange={(e) => setRating(e.target.value)}>
          {RATINGS.map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      </label>
      <label>
        Genres (comma separated)
        <input type="text" value={genres} onChange={(e) => setGenres(e.target.value)} />
      </label>
      <button type="submit" disabled={busy}>
        Save metadata
      </button>
      {message && (
        <p role={message.ok ? 'status' : 'alert'} className={message.ok ? '' : 'studio-error'}>
          {message.text}
        </p>
      )}
    </form>
  )
}
