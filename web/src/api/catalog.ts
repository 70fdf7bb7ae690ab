// Catalog's read API (/api/catalog): what the page shows of a title.

import { authorization, type Session } from './session.ts'

/** The fields of a catalog title the watch page shows. */
export interface CatalogTitle {
  id: string
  name: string
  synopsis: string
  artwork: { poster: string | null; backdrop: string | null }
}

/** The title as the session's profile may see it; null when catalog does not show it. */
export async function fetchCatalogTitle(
  session: Session,
  titleId: string,
  signal?: AbortSignal,
  fetchFn: typeof fetch = fetch,
): Promise<CatalogTitle | null> {
  const response = await fetchFn(`/api/catalog/titles/${encodeURIComponent(titleId)}`, {
    headers: { accept: 'application/json', ...authorization(session) },
    signal,
  })
  return response.ok ? ((await response.json()) as CatalogTitle) : null
}
