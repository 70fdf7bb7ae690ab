// The account's plan and the change to another.

import { useState } from 'react'
import { runOperation } from '../api/graphql.ts'
import { describe } from '../ui/ErrorRetry.tsx'
import { PLAN_NAMES, type Plan } from './types.ts'

function summary(plan: Plan): string {
  const screens = plan.maxStreams === 1 ? '1 screen' : `${plan.maxStreams} screens`
  return `${screens} at a time, up to ${plan.maxHeight ? `${plan.maxHeight}p` : 'the best quality'}`
}

export function PlanPicker({ plan }: { plan: Plan }) {
  const [current, setCurrent] = useState(plan)
  const [chosen, setChosen] = useState(plan.name)
  const [busy, setBusy] = useState(false)
  const [problem, setProblem] = useState<string | null>(null)

  async function change() {
    setBusy(true)
    setProblem(null)
    try {
      const { data, errors } = await runOperation<{ changePlan: Plan | null }>('ChangePlan', { plan: chosen })
      if (data?.changePlan) setCurrent(data.changePlan)
      else setProblem(errors[0]?.message ?? 'The plan could not be changed.')
    } catch (error) {
      setProblem(describe(error))
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="account-section" aria-labelledby="plan-title">
      <h2 id="plan-title">Plan</h2>
      <p data-testid="plan">
        <strong>{current.name}</strong>: {summary(current)}
      </p>
      <div className="inline-form">
        <label>
          <span className="visually-hidden">Plan</span>
          <select value={chosen} onChange={(e) => setChosen(e.target.value)}>
            {PLAN_NAMES.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button" disabled={busy || chosen === current.name} onClick={change}>
          Change plan
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
