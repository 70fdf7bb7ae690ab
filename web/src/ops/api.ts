// The gateway's ops API (admin role): instances and the services' counters.

import { requestJson } from '../roles/rest.ts'

export interface Instance {
  service: string
  instance_id: string
  zone: string
  status: string
  version: string
}

export interface ServiceMetrics {
  instances: number
  scraped: number
  requests: number
  errors: number
  /** Cumulative latency buckets as exported: [upper bound ("+Inf" last), count]. */
  latency: { buckets: [string, number][]; count: number; sum: number }
}

/** One region's QoE counters as the events service exports them, cumulative. */
export interface RegionQoe {
  plays: number
  /** Startup time histogram in seconds: [upper bound ("+Inf" last), cumulative count]. */
  startup: { buckets: [string, number][]; count: number; sum: number }
  rebuffers: number
  rebuffer_seconds: number
  errors: number
}

/** One read of every service's cumulative counters. */
export interface MetricsSnapshot {
  at: number
  services: Record<string, ServiceMetrics>
  play_starts: number | null
  edge_results: Record<string, number> | null
  /** null: no events instance answered; {}: none has counted a play yet. */
  qoe_by_region: Record<string, RegionQoe> | null
}

export async function instances(): Promise<Instance[]> {
  return (await requestJson<{ instances: Instance[] }>('/api/ops/instances')).instances
}

export function metrics(): Promise<MetricsSnapshot> {
  return requestJson<MetricsSnapshot>('/api/ops/metrics')
}
