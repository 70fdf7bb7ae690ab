// What the gateway says about itself (/app-settings.json): read once per page
// load. A dev server or an old gateway has none: then no demo controls.

export interface AppSettings {
  regionPicker: boolean
  region: string
  regions: string[]
}

const NONE: AppSettings = { regionPicker: false, region: '', regions: [] }
let loading: Promise<AppSettings> | null = null

export function appSettings(fetchFn: typeof fetch = fetch): Promise<AppSettings> {
  loading ??= fetchFn('/app-settings.json', { headers: { accept: 'application/json' } })
    .then(async (response) => {
      if (!response.ok) return NONE
      const body = (await response.json()) as Partial<AppSettings>
      return {
        regionPicker: body.regionPicker === true,
        region: typeof body.region === 'string' ? body.region : '',
        regions: Array.isArray(body.regions) ? body.regions.filter((r) => typeof r === 'string') : [],
      }
    })
    .catch(() => NONE)
  return loading
}
