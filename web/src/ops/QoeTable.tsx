import type { RegionQoe } from './api.ts'
import { qoeRows } from './qoe.ts'
import { TableScroll } from '../roles/TableScroll.tsx'

const seconds = (s: number | null) => (s == null ? '–' : s < 10 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(0)} s`)
const ratio = (v: number | null, digits = 2) => (v == null ? '–' : v.toFixed(digits))

/**
 * QoE by region, from the events service's counters since its instances
 * started: undefined means not read yet, null that no events instance
 * answered, {} that no play was counted yet; each says so in words.
 */
export function QoeTable({ byRegion }: { byRegion: Record<string, RegionQoe> | null | undefined }) {
  if (byRegion === undefined) return <p>Waiting for the first read…</p>
  if (byRegion === null) return <p>No events instance answers yet, so there is no QoE to show.</p>
  const rows = qoeRows(byRegion)
  if (rows.length === 0) return <p>No plays reported yet: rows appear once a player sends its first events.</p>
  return (
    <>
      <TableScroll label="QoE by region table">
        <table className="studio-table" aria-label="QoE by region">
          <thead>
            <tr>
              <th scope="col">Region</th>
              <th scope="col">Plays</th>
              <th scope="col">Startup p50</th>
              <th scope="col">Startup p90</th>
              <th scope="col">Rebuffers per play</th>
              <th scope="col">Stalled s per play</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.region} data-region={row.region}>
                <td>{row.region}</td>
                <td>{row.plays}</td>
                <td>{seconds(row.startupP50)}</td>
                <td>{seconds(row.startupP90)}</td>
                <td>{ratio(row.rebuffersPerPlay)}</td>
                <td>{ratio(row.stalledSecondsPerPlay, 1)}</td>
                <td className={row.errors > 0 ? 'health-down' : ''}>{row.errors}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p className="ops-note">
        Since the events instances started. "other": regions the service does not name (malformed, or past its cap).
      </p>
    </>
  )
}
