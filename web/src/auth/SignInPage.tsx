// Sign in, then on to the profile picker and back to where the viewer was (or
// straight back, for the account's own pages: studio, ops console, account).

import { useState, type FormEvent } from 'react'
import { SessionError } from '../api/session.ts'
import { navigate } from '../route.ts'
import { useSession } from '../session/context.ts'
import { Link } from '../ui/Link.tsx'
import { Field } from './Field.tsx'
import { afterSignIn } from './next.ts'
import { emailProblem } from './validate.ts'
import './auth.css'

export default function SignInPage({ next }: { next: string }) {
  const { signIn } = useSession()
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [checked, setChecked] = useState(false)
  const [busy, setBusy] = useState(false)
  const [refusal, setRefusal] = useState<string | null>(null)
  const emailError = checked ? emailProblem(email) : null
  const passwordError = checked && !password ? 'Enter your password.' : null

  async function submit(event: FormEvent) {
    event.preventDefault()
    setChecked(true)
    if (emailProblem(email) || !password) return
    setBusy(true)
    setRefusal(null)
    try {
      await signIn(email.trim(), password)
      navigate(afterSignIn(next), { replace: true })
    } catch (error) {
      setRefusal(error instanceof SessionError ? error.message : 'Signing in failed. Try again.')
      setBusy(false)
    }
  }

  return (
    <main className="auth" id="main">
      <h1 className="brand">reelstack</h1>
      <form className="form auth-form" onSubmit={submit} noValidate aria-labelledby="signin-title">
        <h2 id="signin-title">Sign in</h2>
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
          error={emailError}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={passwordError}
        />
        <button className="button button-danger" type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p>
          New here? <Link to="/signup">Create an account</Link>
        </p>
      </form>
    </main>
  )
}
