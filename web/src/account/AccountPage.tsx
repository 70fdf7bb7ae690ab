// The account: plan, the devices playing now, profiles, and signing out here
// or everywhere.

import { useState } from 'react'
import { useOperation } from '../api/useOperation.ts'
import { navigate } from '../route.ts'
import { useSession } from '../session/context.ts'
import { describe, ErrorRetry } from '../ui/ErrorRetry.tsx'
import { Spinner } from '../ui/Spinner.tsx'
import { ManageProfiles } from './ManageProfiles.tsx'
import { PlanPicker } from './PlanPicker.tsx'
import type { AccountData } from './types.ts'
import './account.css'

export default function AccountPage() {
  const answer = useOperation<AccountData>('Account')
  if (answer.status === 'loading') return <Spinner label="Loading your account" />
  if (answer.status === 'failed') {
    return <ErrorRetry error={answer.error} onRetry={answer.retry} what="your account" />
  }
  const { data, errors } = answer.result
  if (!data?.me) {
    const reason = new Error(errors[0]?.message ?? 'Your account is not available.')
    return <ErrorRetry error={reason} onRetry={answer.retry} what="your account" />
  }
  const me = data.me
  const names = new Map(me.profiles.map((p) => [p.id, p.name]))
  return (
    <div className="account" data-testid="account">
      <h1>Account</h1>
      <p>{me.email}</p>
      <PlanPicker plan={me.plan} />
      <section className="account-section" aria-labelledby="devices-title">
        <h2 id="devices-title">Watching now</h2>
        {data.activeDevices === null ? (
          <p className="notice">The devices playing now cannot be listed at the moment.</p>
        ) : data.activeDevices.length === 0 ? (
          <p>No device is playing.</p>
        ) : (
          <ul data-testid="devices">
            {data.activeDevices.map((d) => (
              <li key={d.deviceId}>
                {d.name}: {d.title.name} ({names.get(d.profileId) ?? 'a profile'}, since{' '}
                {new Date(d.since).toLocaleTimeString()})
              </li>
            ))}
          </ul>
        )}
      </section>
      <ManageProfiles profiles={me.profiles} onChanged={answer.retry} />
      <SignOut />
    </div>
  )
}

function SignOut() {
  const { signOut } = useSession()
  const [problem, setProblem] = useState<string | null>(null)
  async function leave(everywhere: boolean) {
    setProblem(null)
    try {
      await signOut({ everywhere })
      navigate('/signin', { replace: true })
    } catch (error) {
      setProblem(describe(error))
    }
  }
  return (
    <section className="account-section" aria-labelledby="signout-title">
      <h2 id="signout-title">Sign out</h2>
      <div className="inline-form">
        <button type="button" className="button button-secondary" onClick={() => void leave(false)}>
          Sign out
        </button>
        <button type="button" className="button button-danger" onClick={() => void leave(true)}>
          Sign out everywhere
        </button>
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </section>
  )
}
