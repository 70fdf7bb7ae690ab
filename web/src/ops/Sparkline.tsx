// A line chart in inline SVG: a few polled points need no chart library.

const WIDTH = 240
const HEIGHT = 48

/** `values` over time as a line; gaps (null) break it. */
export function Sparkline({ values, label, max }: { values: (number | null)[]; label: string; max?: number }) {
  const known = values.filter((v): v is number => v !== null)
  const top = max ?? Math.max(...known, 0)
  const scale = top > 0 ? top : 1
  const step = values.length > 1 ? WIDTH / (values.length - 1) : WIDTH
  let path = ''
  let pen = false
  values.forEach((v, i) => {
    if (v === null) {
      pen = false
      return
    }
    const x = (i * step).toFixed(1)
    const y = (HEIGHT - (v / scale) * (HEIGHT - 2) - 1).toFixed(1)
    path += `${pen ? 'L' : 'M'}${x},${y}`
    pen = true
  })
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      width={WIDTH}
      height={HEIGHT}
      role="img"
      aria-label={label}
    >
      <path d={path} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  )
}
