// The studio's REST calls: media (titles, jobs, artwork) and the catalog's
// studio routes (metadata, publish, unpublish).

import { request, requestJson } from '../roles/rest.ts'

export const RATINGS = ['G', 'PG', 'PG-13', 'R', 'NC-17', 'TV-Y', 'TV-G', 'TV-PG', 'TV-14', 'TV-MA']

export interface Rung {
  bitrate_kbps: number | null
  width: number | null
  height: number | null
  vmaf: number | null
  codec: string
}

/** A title as media holds it (state, ladder, artwork). */
export interface MediaTitle {
  id: string
  name: string
  synopsis: string
  genres: string[]
  maturity_rating: string
  state: string
  reason: string | null
  job_id: string | null
  duration_s: number | null
  poster_url: string | null
  backdrop_url: string | null
  rungs: Rung[]
  created_at: string
}

export interface JobPart {
  part: string
  state: string
  attempts: number
}

/** An encoding job: its step and each chunk's state. */
export interface Job {
  id: string
  title_id: string
  state: string
  step: string | null
  progress: number
  reason: string | null
  rungs: Rung[]
  parts_total: number
  parts_done: number
  parts: JobPart[]
}

/** A title as the catalog's studio routes show it. */
export interface StudioTitle {
  id: string
  name: string
  synopsis: string
  genres: string[]
  maturity_rating: string
  published: boolean
  withheld: boolean
  visible: boolean
  artwork: { poster: string | null; backdrop: string | null }
}

export interface MetaEdit {
  name?: string
  synopsis?: string
  maturity_rating?: string
  genres?: string[]
}

const MEDIA = '/api/media'
const STUDIO = '/api/catalog/studio/titles'
const enc = encodeURIComponent

export async function listTitles(): Promise<MediaTitle[]> {
  const page = await requestJson<{ titles: MediaTitle[] }>(`${MEDIA}/titles?limit=100`)
  return page.titles
}

export function mediaTitle(id: string): Promise<MediaTitle> {
  return requestJson<MediaTitle>(`${MEDIA}/titles/${enc(id)}`)
}

export function job(id: string): Promise<Job> {
  return requestJson<Job>(`${MEDIA}/jobs/${enc(id)}`)
}

export function studioTitle(id: string): Promise<StudioTitle> {
  return requestJson<StudioTitle>(`${STUDIO}/${enc(id)}`)
}

export function editMeta(id: string, edit: MetaEdit): Promise<StudioTitle> {
  return requestJson<StudioTitle>(`${STUDIO}/${enc(id)}`, {
    method: 'PATCH',
    body: JSON.stringify(edit),
  })
}

export function setPublished(id: string, published: boolean): Promise<StudioTitle> {
  const action = published ? 'publish' : 'unpublish'
  return requestJson<StudioTitle>(`${STUDIO}/${enc(id)}/${action}`, { method: 'POST' })
}

/** Upload a poster or backdrop picture (JPEG or PNG) in place of the extracted one. */
export async function putArtwork(id: string, kind: 'poster' | 'backdrop', file: Blob): Promise<void> {
  await request(`${MEDIA}/titles/${enc(id)}/artwork/${kind}`, {
    method: 'PUT',
    headers: { 'content-type': file.type || 'application/octet-stream' },
    body: file,
  })
}

/** Whether a job will not change any more. */
export function jobIsOver(state: string): boolean {
  return state === 'done' || state === 'failed' || state === 'cancelled'
}
