import { useState, type FormEvent } from 'react'
import type { Profile } from '../api/session.ts'

/** The email and password form; `message` says why the last attempt failed. */
export function SignInForm({
  message,
  onSubmit,
}: {
  message: string | null
  onSubmit: (email: string, password: string) => void
}) {
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = (event: FormEvent) => {
    event.preventDefault()
    setBusy(true)
    onSubmit(email, password)
  }
  // A new message means the attempt is over.
  const [seen, setSeen] = useState(message)
  if (seen !== message) {
    setSeen(message)
    setBusy(false)
  }
  return (
    <form className="sign-in" onSubmit={submit} aria-label="Sign in">
      <h2>Sign in to watch</h2>
      <label>
        Email
        <input
          type="email"
          autoComplete="username"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </label>
      <button type="submit" disabled={busy}>
        Sign in
      </button>
      {message && (
        <p role="alert" className="player-error">
          {message}
        </p>
      )}
    </form>
  )
}

/** The account's profiles to choose from; a profile with a PIN asks for it. */
export function ProfilePicker({
  profiles,
  message,
  onChoose,
}: {
  profiles: Profile[]
  message: string | null
  onChoose: (profile: Profile, pin: string | null) => void
}) {
  const [pinFor, setPinFor] = useState<Profile | null>(null)
  const [pin, setPin] = useState('')
  return (
    <section className="profiles" aria-label="Who is watching?">
      <h2>Who is watching?</h2>
      <ul>
        {profiles.map((profile) => (
          <li key={profile.id}>
            <button
              type="button"
              onClick={() => (profile.has_pin ? setPinFor(profile) : onChoose(profile, null))}
            >
              {profile.name}
              {profile.kids ? ' (kids)' : ''}
            </button>
          </li>
        ))}
      </ul>
      {pinFor && (
        <form
          onSubmit={(event) => {
            event.preventDefault()
            onChoose(pinFor, pin)
          }}
        >
          <label>
            PIN for {pinFor.name}
            <input
              inputMode="numeric"
              pattern="[0-9]{4}"
              maxLength={4}
              required
              value={pin}
              onChange={(event) => setPin(event.target.value)}
            />
          </label>
          <button type="submit">Open</button>
        </form>
      )}
      {message && (
        <p role="alert" className="player-error">
          {message}
        </p>
      )}
    </section>
  )
}
