// The demo's "pretend to be elsewhere": shown only when the gateway says
// clients may name their region. The page reloads so every row, title and
// play is asked again from there.

import { useEffect, useState } from 'react'
import { appSettings, type AppSettings } from './appSettings.ts'
import { chooseRegion, chosenRegion } from './region.ts'

export function RegionPicker() {
  const [settings, setSettings] = useState<AppSettings | null>(null)
  useEffect(() => {
    let current = true
    void appSettings().then((s) => current && setSettings(s))
    return () => {
      current = false
    }
  }, [])
  if (!settings?.regionPicker) return null
  const chosen = chosenRegion() ?? ''
  return (
    <label className="region-picker" title="Demo: browse and play as a viewer in another region">
      <span className="visually-hidden">Region (demo)</span>
      <select
        data-testid="region"
        value={chosen}
        onChange={(e) => {
          chooseRegion(e.target.value || null)
          window.location.reload()
        }}
      >
        <option value="">Region: {settings.region} (yours)</option>
        {settings.regions.filter((r) => r !== settings.region).map((region) => (
          <option key={region} value={region}>
            Region: {region}
          </option>
        ))}
      </select>
    </label>
  )
}
