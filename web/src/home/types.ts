/** What the Home query answers (src/graphql/home.graphql). */
export interface RowTitle {
  id: string
  kind: string
  name: string
  synopsis: string
  maturityRating: string
  season: number | null
  episode: number | null
  artwork: { poster: string | null; backdrop: string | null }
  series: { id: string; name: string } | null
}

export interface RowSeries {
  id: string
  name: string
  synopsis: string
  seasons: { episodes: { id: string; artwork: { poster: string | null; backdrop: string | null } }[] }[]
}

export interface RowItem {
  progress: number | null
  title: RowTitle | null
  series: RowSeries | null
}

export interface Row {
  id: string
  name: string
  items: RowItem[]
}

export interface HomeData {
  home: {
    region: string
    fallback: boolean
    errors: { part: string; detail: string }[]
    rows: Row[]
  } | null
}

/** One card's worth of an item: a title, or a series shown through its first episode. */
export interface Card {
  key: string
  /** The page to open: the title, or the series' first episode. */
  titleId: string
  name: string
  detail: string | null
  synopsis: string
  poster: string | null
  backdrop: string | null
  progress: number | null
}

/** The card for an item, or null for an item the graph could not fill in. */
export function cardOf(item: RowItem): Card | null {
  if (item.title) {
    const t = item.title
    const episode = t.season != null && t.episode != null ? `S${t.season} E${t.episode}` : null
    return {
      key: `t:${t.id}`,
      titleId: t.id,
      name: t.series ? t.series.name : t.name,
      detail: t.series ? [episode, t.name].filter(Boolean).join(' · ') : null,
      synopsis: t.synopsis,
      poster: t.artwork.poster,
      backdrop: t.artwork.backdrop,
      progress: item.progress,
    }
  }
  if (item.series) {
    const first = item.series.seasons.flatMap((s) => s.episodes)[0]
    if (!first) return null
    return {
      key: `s:${item.series.id}`,
      titleId: first.id,
      name: item.series.name,
      detail: 'Series',
      synopsis: item.series.synopsis,
      poster: first.artwork.poster,
      backdrop: first.artwork.backdrop,
      progress: item.progress,
    }
  }
  return null
}
