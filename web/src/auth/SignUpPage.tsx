// Create an account: checked here first, then identity's reason if it refuses.

import { useState, type FormEvent } from 'react'
import { SessionError } from '../api/session.ts'
import { navigate } from '../route.ts'
import { useSession } from '../session/context.ts'
import { Link } from '../ui/Link.tsx'
import { Field } from './Field.tsx'
import { rememberNext } from './next.ts'
import { emailProblem, MIN_PASSWORD, newPasswordProblem } from './validate.ts'
import './auth.css'

export default function SignUpPage() {
  const { signUp } = useSession()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [again, setAgain] = useState('')
  const [checked, setChecked] = useState(false)
  const [busy, setBusy] = useState(false)
  const [refusal, setRefusal] = useState<string | null>(null)
  const problems = {
    email: emailProblem(email),
    password: newPasswordProblem(password),
    again: again === password ? null : 'The two passwords differ.',
  }
  const shown = checked ? problems : { email: null, password: null, again: null }

  async function submit(event: FormEvent) {
    event.preventDefault()
    setChecked(true)
    if (problems.email || problems.password || problems.again) return
    setBusy(true)
    setRefusal(null)
    try {
      await signUp(email.trim(), password)
      rememberNext('/')
      navigate('/profiles', { replace: true })
    } catch (error) {
      setRefusal(error instanceof SessionError ? error.message : 'The account could not be made.')
      setBusy(false)
    }
  }

  return (
    <main className="auth" id="main">
      <h1 className="brand">reelstack</h1>
      <form className="form auth-form" onSubmit={submit} noValidate aria-labelledby="signup-title">
        <h2 id="signup-title">Create your account</h2>
        {refusal && (
          <p className="error-retry" role="alert" data-testid="form-error">
            {refusal}
          </p>
        )}
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={shown.email}
        />
        <Field
          label={`Password (at least ${MIN_PASSWORD} characters)`}
          type="password"
          name="password"
          autoComplete="new-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={shown.password}
        />
        <Field
          label="Password again"
          type="password"
          name="again"
          autoComplete="new-password"
          value={again}
          onChange={(e) => setAgain(e.target.value)}
          error={shown.again}
        />
        <button className="button button-danger" type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
        <p>
          Have an account? <Link to="/signin">Sign in</Link>
        </p>
      </form>
    </main>
  )
}
