// A title's picture, loaded only when it nears the screen (the browser's own
// lazy loading), or a neutral panel with the name when there is none or it
// fails to load.

import { useState } from 'react'

export interface ArtworkProps {
  src: string | null | undefined
  name: string
  shape: 'poster' | 'backdrop'
  eager?: boolean
}

export function Artwork({ src, name, shape, eager = false }: ArtworkProps) {
  const [broken, setBroken] = useState(false)
  if (!src || broken) {
    return (
      <div className={`artwork artwork-${shape} artwork-none`} aria-hidden="true">
        <span>{name}</span>
      </div>
    )
  }
  return (
    <img
      className={`artwork artwork-${shape}`}
      src={src}
      alt=""
      loading={eager ? 'eager' : 'lazy'}
      decoding="async"
      onError={() => setBroken(true)}
    />
  )
}
