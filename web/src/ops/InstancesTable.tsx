import type { Instance } from './api.ts'
import { TableScroll } from '../roles/TableScroll.tsx'

/** Every instance, grouped by service, with its zone, health and version. */
export function InstancesTable({ instances }: { instances: Instance[] }) {
  const services = [...new Set(instances.map((i) => i.service))].sort()
  return (
    <TableScroll label="Instances table">
      <table className="studio-table" aria-label="Instances" data-testid="instances">
        <thead>
          <tr>
            <th scope="col">Service</th>
            <th scope="col">Zone</th>
            <th scope="col">Instance</th>
            <th scope="col">Health</th>
            <th scope="col">Version</th>
          </tr>
        </thead>
        <tbody>
          {services.flatMap((service) =>
            instances
              .filter((i) => i.service === service)
              .map((i, index) => (
                <tr key={i.instance_id} data-service={service} data-instance={i.instance_id} data-status={i.status}>
                  <td>{index === 0 ? service : ''}</td>
                  <td>{i.zone}</td>
                  <td>{i.instance_id}</td>
                  <td className={i.status === 'UP' ? 'health-up' : 'health-down'}>{i.status}</td>
                  <td>{i.version}</td>
                </tr>
              )),
          )}
        </tbody>
      </table>
    </TableScroll>
  )
}
