// A new profile: its name, whether it is a kids profile, and an optional PIN.

import { useState, type FormEvent } from 'react'
import { runOperation } from '../api/graphql.ts'
import { pinProblem } from '../auth/validate.ts'
import { Field } from '../auth/Field.tsx'
import { describe } from '../ui/ErrorRetry.tsx'
import type { GraphProfile } from './types.ts'

export function ProfileForm({ onCreated }: { onCreated: (profile: GraphProfile) => void }) {
  const [name, setName] = useState('')
  const [kids, setKids] = useState(false)
  const [pin, setPin] = useState('')
  const [checked, setChecked] = useState(false)
  const [busy, setBusy] = useState(false)
  const [refusal, setRefusal] = useState<string | null>(null)
  const nameError = name.trim() ? (name.trim().length > 40 ? 'At most 40 characters.' : null) : 'Name the profile.'
  const pinError = pin ? pinProblem(pin) : null

  async function submit(event: FormEvent) {
    event.preventDefault()
    setChecked(true)
    if (nameError || pinError) return
    setBusy(true)
    setRefusal(null)
    try {
      const profile: Record<string, unknown> = { name: name.trim(), kids }
      if (pin) profile.pin = pin
      const { data, errors } = await runOperation<{ createProfile: GraphProfile | null }>(
        'CreateProfile',
        { profile },
      )
      if (data?.createProfile) {
        setName('')
        setPin('')
        setKids(false)
        setChecked(false)
        onCreated(data.createProfile)
      } else {
        setRefusal(errors[0]?.message ?? 'The profile could not be made.')
      }
    } catch (error) {
      setRefusal(describe(error))
    } finally {
      setBusy(false)
    }
  }

  return (
    <form className="form profile-form" onSubmit={submit} noValidate aria-label="Add a profile">
      {refusal && (
        <p className="error-retry" role="alert" data-testid="form-error">
          {refusal}
        </p>
      )}
      <Field
        label="Profile name"
        name="profile-name"
        value={name}
        maxLength={60}
        onChange={(e) => setName(e.target.value)}
        error={checked ? nameError : null}
      />
      <label className="checkbox">
        <input type="checkbox" name="kids" checked={kids} onChange={(e) => setKids(e.target.checked)} />
        <span>Kids profile (only titles for children)</span>
      </label>
      <Field
        label="PIN (optional, 4 digits)"
        name="profile-pin"
        inputMode="numeric"
        autoComplete="off"
        value={pin}
        maxLength={4}
        onChange={(e) => setPin(e.target.value)}
        error={checked ? pinError : null}
      />
      <button className="button" type="submit" disabled={busy}>
        {busy ? 'Adding…' : 'Add profile'}
      </button>
    </form>
  )
}
