// The account's profiles: add, rename and delete (identity refuses these
// from a kids profile; its reason is shown).

import { useState, type FormEvent } from 'react'
import { runOperation } from '../api/graphql.ts'
import { ProfileForm } from '../profiles/ProfileForm.tsx'
import { describe } from '../ui/ErrorRetry.tsx'
import type { AccountProfile } from './types.ts'

export function ManageProfiles({ profiles, onChanged }: { profiles: AccountProfile[]; onChanged: () => void }) {
  return (
    <section className="account-section" aria-labelledby="manage-title">
      <h2 id="manage-title">Profiles</h2>
      <ul className="manage-list">
        {profiles.map((profile) => (
          <li key={profile.id}>
            <ProfileRow profile={profile} onChanged={onChanged} />
          </li>
        ))}
      </ul>
      {profiles.length < 5 && <ProfileForm onCreated={onChanged} />}
    </section>
  )
}

function ProfileRow({ profile, onChanged }: { profile: AccountProfile; onChanged: () => void }) {
  const [name, setName] = useState(profile.name)
  const [confirming, setConfirming] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function send(operation: string, variables: Record<string, unknown>) {
    setBusy(true)
    setProblem(null)
    try {
      const { data, errors } = await runOperation<Record<string, unknown>>(operation, variables)
      if (data && Object.values(data).every((v) => v !== null && v !== false)) onChanged()
      else setProblem(errors[0]?.message ?? 'That did not work.')
    } catch (error) {
      setProblem(describe(error))
    } finally {
      setBusy(false)
    }
  }

  function rename(event: FormEvent) {
    event.preventDefault()
    const trimmed = name.trim()
    if (!trimmed) return setProblem('Name the profile.')
    if (trimmed !== profile.name) void send('RenameProfile', { profileId: profile.id, name: trimmed })
  }

  return (
    <div className="manage-row" data-testid="manage-profile">
      <form className="inline-form" onSubmit={rename}>
        <label>
          <span className="visually-hidden">Name of {profile.name}</span>
          <input value={name} maxLength={60} onChange={(e) => setName(e.target.value)} />
        </label>
        {profile.kids && <span className="badge">Kids</span>}
        <button className="button button-secondary" type="submit" disabled={busy || name.trim() === profile.name}>
          Rename
        </button>
        {confirming ? (
          <>
            <button
              className="button button-danger"
              type="button"
              disabled={busy}
              onClick={() => void send('DeleteProfile', { profileId: profile.id })}
            >
              Delete {profile.name} and its history
            </button>
            <button className="button button-secondary" type="button" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </>
        ) : (
          <button className="button button-secondary" type="button" onClick={() => setConfirming(true)}>
            Delete
          </button>
        )}
      </form>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  )
}
