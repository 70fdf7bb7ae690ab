import type { ReactNode } from 'react'
import type { MetricsSnapshot } from './api.ts'
import type { Rates } from './rates.ts'
import { QoeTable } from './QoeTable.tsx'
import { Sparkline } from './Sparkline.tsx'
import { TableScroll } from '../roles/TableScroll.tsx'

const fixed = (v: number | null | undefined, digits = 1) => (v == null ? '–' : v.toFixed(digits))
const ms = (s: number | null | undefined) => (s == null ? '–' : `${(s * 1000).toFixed(0)} ms`)

function Panel({ title, children, testid }: { title: string; children: ReactNode; testid: string }) {
  return (
    <section className="studio-card ops-panel" aria-label={title} data-testid={testid}>
      <h2>{title}</h2>
      {children}
    </section>
  )
}

/** The charts: only what the backend exports; a panel without a source says so. */
export function MetricsPanels({ history, latest }: { history: Rates[]; latest: MetricsSnapshot | null }) {
  const last = history.length > 0 ? history[history.length - 1] : null
  const services = latest ? Object.keys(latest.services).sort() : []
  return (
    <div className="ops-panels">
      <Panel title="Stream starts per second" testid="panel-sps">
        {latest?.play_starts == null ? (
          <p>No playback instance answers yet.</p>
        ) : (
          <>
            <p className="ops-figure">{fixed(last?.startsPerS, 2)}</p>
            <Sparkline values={history.map((r) => r.startsPerS)} label="Stream starts per second over time" />
          </>
        )}
      </Panel>
      <Panel title="Edge hit ratio" testid="panel-edge">
        {latest?.edge_results == null ? (
          <p>No edge exports its results yet.</p>
        ) : (
          <>
            <p className="ops-figure">
              {last?.edgeHitRatio == null ? 'no media requests' : `${(last.edgeHitRatio * 100).toFixed(0)}%`}
            </p>
            <Sparkline values={history.map((r) => r.edgeHitRatio)} max={1} label="Edge hit ratio over time" />
          </>
        )}
      </Panel>
      <Panel title="QoE by region" testid="panel-qoe">
        <QoeTable byRegion={latest ? latest.qoe_by_region : undefined} />
      </Panel>
      <Panel title="Requests, errors and latency per service" testid="panel-services">
        {services.length === 0 ? (
          <p>Waiting for the first read…</p>
        ) : (
          <TableScroll label="Per service table">
            <table className="studio-table" aria-label="Per service">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Req/s</th>
                  <th scope="col">5xx/s</th>
                  <th scope="col">p50</th>
                  <th scope="col">p99</th>
                  <th scope="col">Req/s over time</th>
                </tr>
              </thead>
              <tbody>
                {services.map((name) => {
                  const rates = last?.services[name]
                  const read = latest?.services[name]
                  return (
                    <tr key={name} data-service={name} data-rated={rates !== undefined}>
                      <td>
                        {name}
                        {read && read.scraped < read.instances && (
                          <small> ({read.scraped}/{read.instances} answered)</small>
                        )}
                      </td>
                      <td>{fixed(rates?.requestsPerS)}</td>
                      <td className={rates && rates.errorsPerS > 0 ? 'health-down' : ''}>{fixed(rates?.errorsPerS, 2)}</td>
                      <td>{ms(rates?.p50)}</td>
                      <td>{ms(rates?.p99)}</td>
                      <td>
                        <Sparkline
                          values={history.map((r) => r.services[name]?.requestsPerS ?? null)}
                          label={`${name} requests per second over time`}
                        />
                      </td>
                    </tr>
                  )
                })}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Panel>
    </div>
  )
}
