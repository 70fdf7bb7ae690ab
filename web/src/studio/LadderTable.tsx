import type { Rung } from './api.ts'
import { TableScroll } from '../roles/TableScroll.tsx'

/** The published ladder: each rung's size, codec, bitrate and VMAF. */
export function LadderTable({ rungs }: { rungs: Rung[] }) {
  if (rungs.length === 0) return <p>The ladder appears once the title is planned.</p>
  return (
    <TableScroll label="Ladder table">
      <table className="studio-table" aria-label="Ladder" data-testid="ladder">
        <thead>
          <tr>
            <th scope="col">Size</th>
            <th scope="col">Codec</th>
            <th scope="col">Bitrate</th>
            <th scope="col">VMAF</th>
          </tr>
        </thead>
        <tbody>
          {rungs.map((r, i) => (
            <tr key={i}>
              <td>{r.width && r.height ? `${r.width}×${r.height}` : '–'}</td>
              <td>{r.codec}</td>
              <td>{r.bitrate_kbps != null ? `${r.bitrate_kbps} kb/s` : '–'}</td>
              <td>{r.vmaf != null ? r.vmaf.toFixed(1) : 'not measured'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  )
}
