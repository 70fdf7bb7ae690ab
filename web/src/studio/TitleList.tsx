import { Link } from '../ui/Link.tsx'
import type { MediaTitle } from './api.ts'
import { TableScroll } from '../roles/TableScroll.tsx'

/** Media's titles, newest first, each linking to its studio page. */
export function TitleList({ titles }: { titles: MediaTitle[] }) {
  if (titles.length === 0) return <p>No titles yet: upload one.</p>
  const sorted = [...titles].sort((a, b) => b.created_at.localeCompare(a.created_at))
  return (
    <TableScroll label="Titles table">
      <table className="studio-table" aria-label="Titles">
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">State</th>
            <th scope="col">Rating</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((t) => (
            <tr key={t.id}>
              <td>
                <Link to={`/studio/titles/${encodeURIComponent(t.id)}`}>{t.name}</Link>
              </td>
              <td data-state={t.state}>{t.state}</td>
              <td>{t.maturity_rating}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  )
}
