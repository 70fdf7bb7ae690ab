// The demo's chosen region: kept in localStorage and sent with every graph
// request as X-Reelstack-Region, which the gateway honours only where it is
// configured to (gateway.region.from_client); elsewhere it is ignored.

const REGION_KEY = 'reelstack.region'
export const REGION_HEADER = 'x-reelstack-region'

/** The region the viewer picked, or null to let the gateway decide. */
export function chosenRegion(storage: Storage | null = globalStorage()): string | null {
  const value = storage?.getItem(REGION_KEY) ?? null
  return value && /^[A-Z]{2}$/.test(value) ? value : null
}

export function chooseRegion(region: string | null, storage: Storage | null = globalStorage()): void {
  if (!storage) return
  if (region && /^[A-Z]{2}$/.test(region)) storage.setItem(REGION_KEY, region)
  else storage.removeItem(REGION_KEY)
}

/** The header to add to a graph request (none when no region is picked). */
export function regionHeaders(storage: Storage | null = globalStorage()): Record<string, string> {
  const region = chosenRegion(storage)
  return region ? { [REGION_HEADER]: region } : {}
}

function globalStorage(): Storage | null {
  return typeof localStorage === 'undefined' ? null : localStorage
}
