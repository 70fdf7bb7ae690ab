/** What the Title query answers (src/graphql/title.graphql). */
export type Thumb = 'UP' | 'DOWN' | 'NONE'

export interface EpisodeRow {
  id: string
  name: string
  season: number | null
  episode: number | null
  durationS: number | null
  progress: { positionS: number; fraction: number } | null
}

export interface TitleDetail {
  id: string
  kind: string
  name: string
  synopsis: string
  genres: string[]
  maturityRating: string
  season: number | null
  episode: number | null
  durationS: number | null
  artwork: { poster: string | null; backdrop: string | null }
  cast: { personId: string; name: string; role: string; character: string | null }[]
  inMyList: boolean
  thumb: Thumb
  progress: { positionS: number; durationS: number; fraction: number } | null
  nextEpisode: { id: string; name: string; season: number | null; episode: number | null } | null
  series: {
    id: string
    name: string
    seasons: { number: number | null; episodes: EpisodeRow[] }[]
  } | null
}

export interface TitleData {
  title: TitleDetail | null
}

/** "1 h 42 min" or "24 min". */
export function duration(seconds: number | null): string | null {
  if (seconds == null || !Number.isFinite(seconds) || seconds <= 0) return null
  const minutes = Math.round(seconds / 60)
  const hours = Math.floor(minutes / 60)
  return hours ? `${hours} h ${minutes % 60} min` : `${minutes} min`
}
