import { useEffect, useRef, useState } from 'react'
import { OPS_ROLES } from '../nav/sections.ts'
import { RoleGate } from '../roles/RoleGate.tsx'
import { usePoll } from '../roles/usePoll.ts'
import { instances, metrics, type MetricsSnapshot } from './api.ts'
import { InstancesTable } from './InstancesTable.tsx'
import { MetricsPanels } from './MetricsPanels.tsx'
import { ratesBetween, type Rates } from './rates.ts'
import '../roles/console.css'
import './ops.css'

const POLL_MS = 5000
// Five minutes of points at one read every five seconds.
const KEEP = 60

/** The operator's console (admin role): instances, and live charts from the services' metrics. */
export default function OpsPage() {
  return (
    <RoleGate roles={OPS_ROLES} area="ops console">
      <Ops />
    </RoleGate>
  )
}

function Ops() {
  const listed = usePoll(instances, POLL_MS)
  const read = usePoll(metrics, POLL_MS)
  const previous = useRef<MetricsSnapshot | null>(null)
  const [history, setHistory] = useState<Rates[]>([])

  useEffect(() => {
    const now = read.data
    if (!now || now === previous.current) return
    const rates = ratesBetween(previous.current, now)
    previous.current = now
    if (rates) setHistory((h) => [...h, rates].slice(-KEEP))
  }, [read.data])

  return (
    <main className="ops" data-testid="ops">
      <h1>Ops console</h1>
      <section className="studio-card" aria-labelledby="instances-heading">
        <h2 id="instances-heading">Instances</h2>
        {listed.error && (
          <p role="alert" className="studio-error">
            {listed.error} <button onClick={listed.reload}>Retry</button>
          </p>
        )}
        {listed.data ? <InstancesTable instances={listed.data} /> : !listed.error && <p>Loading…</p>}
      </section>
      {read.error && (
        <p role="alert" className="studio-error">
          Metrics: {read.error} <button onClick={read.reload}>Retry</button>
        </p>
      )}
      <MetricsPanels history={history} latest={read.data} />
    </main>
  )
}
