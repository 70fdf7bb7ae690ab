// "Who is watching?": the account's profiles; a locked one asks its PIN.
// Choosing one makes the session that profile's, then goes where the viewer
// was heading before signing in.

import { useState, type FormEvent } from 'react'
import { SessionError } from '../api/session.ts'
import { useOperation } from '../api/useOperation.ts'
import { takeNext } from '../auth/next.ts'
import { Field } from '../auth/Field.tsx'
import { pinProblem } from '../auth/validate.ts'
import { navigate } from '../route.ts'
import { useSession } from '../session/context.ts'
import { ErrorRetry } from '../ui/ErrorRetry.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { ProfileForm } from './ProfileForm.tsx'
import type { GraphProfile, ProfilesData } from './types.ts'
import './profiles.css'

export default function ProfilesPage() {
  const answer = useOperation<ProfilesData>('Profiles')
  const [adding, setAdding] = useState(false)
  if (answer.status === 'loading') return <Spinner label="Loading profiles" />
  if (answer.status === 'failed' || !answer.result.data?.me) {
    const error = answer.status === 'failed' ? answer.error : new Error(answer.result.errors[0]?.message)
    return <ErrorRetry error={error} onRetry={answer.retry} what="your profiles" />
  }
  const profiles = answer.result.data.me.profiles
  return (
    <section className="profiles" aria-labelledby="profiles-title">
      <h1 id="profiles-title">Who is watching?</h1>
      <ul className="profile-list">
        {profiles.map((profile) => (
          <li key={profile.id}>
            <ProfileChoice profile={profile} />
          </li>
        ))}
      </ul>
      {profiles.length === 0 && <p>Make a profile to start watching.</p>}
      {profiles.length < 5 &&
        (adding || profiles.length === 0 ? (
          <ProfileForm
            onCreated={() => {
              setAdding(false)
              answer.retry()
            }}
          />
        ) : (
          <button className="button button-secondary" type="button" onClick={() => setAdding(true)}>
            Add profile
          </button>
        ))}
    </section>
  )
}

function ProfileChoice({ profile }: { profile: GraphProfile }) {
  const { chooseProfile } = useSession()
  const [asking, setAsking] = useState(false)
  const [pin, setPin] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  async function enter(withPin: string | null) {
    setBusy(true)
    setProblem(null)
    try {
      await chooseProfile(
        { id: profile.id, name: profile.name, avatar: profile.avatar, kids: profile.kids, maturity: profile.maturity },
        withPin,
      )
      navigate(takeNext(), { replace: true })
    } catch (error) {
      if (error instanceof SessionError && error.problem === 'expired') {
        navigate('/signin', { replace: true })
        return
      }
      setProblem(error instanceof SessionError ? error.message : 'That profile could not be opened.')
      setBusy(false)
    }
  }

  function submitPin(event: FormEvent) {
    event.preventDefault()
    const bad = pinProblem(pin)
    if (bad) setProblem(bad)
    else void enter(pin)
  }

  return (
    <div className="profile-choice">
      <button
        type="button"
        className="profile-button"
        data-testid="profile"
        data-kids={profile.kids}
        disabled={busy}
        onClick={() => (profile.hasPin ? setAsking(true) : void enter(null))}
      >
        <span className={`profile-avatar${profile.kids ? ' profile-avatar-kids' : ''}`} aria-hidden="true">
          {profile.name.slice(0, 1).toUpperCase()}
        </span>
        <span>{profile.name}</span>
        {profile.kids && <span className="badge">Kids</span>}
        {profile.hasPin && <span className="badge">PIN</span>}
      </button>
      {asking && (
        <form className="form pin-form" onSubmit={submitPin} noValidate>
          <Field
            label={`PIN for ${profile.name}`}
            name="pin"
            type="password"
            inputMode="numeric"
            autoComplete="off"
            maxLength={4}
            autoFocus
            value={pin}
            onChange={(e) => setPin(e.target.value)}
          />
          <button className="button" type="submit" disabled={busy}>
            Open
          </button>
        </form>
      )}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </div>
  )
}
