import { useEffect, useRef, type RefObject } from 'react'
import { commandOf, type Command } from './shortcuts.ts'

const STEP_S = 10
const VOLUME_STEP = 0.1

/** Apply `command` to the video (help is the page's, through `onHelp`). */
function apply(command: Command, video: HTMLVideoElement, onHelp: () => void): void {
  switch (command) {
    case 'toggle-play':
      if (video.paused) video.play().catch((error: unknown) => console.warn('play refused', error))
      else video.pause()
      return
    case 'fullscreen': {
      const box = video.closest('section') ?? video
      if (document.fullscreenElement) document.exitFullscreen().catch(() => undefined)
      else box.requestFullscreen().catch((error: unknown) => console.warn('no full screen', error))
      return
    }
    case 'mute':
      video.muted = !video.muted
      return
    case 'back':
      video.currentTime = Math.max(0, video.currentTime - STEP_S)
      return
    case 'forward':
      video.currentTime = Math.min(video.duration || Infinity, video.currentTime + STEP_S)
      return
    case 'volume-up':
      video.volume = Math.min(1, video.volume + VOLUME_STEP)
      return
    case 'volume-down':
      video.volume = Math.max(0, video.volume - VOLUME_STEP)
      return
    case 'help':
      onHelp()
      return
  }
}

/** The player's keyboard shortcuts on the whole page; every key press also counts as input. */
export function useShortcuts(
  videoRef: RefObject<HTMLVideoElement | null>,
  onHelp: () => void,
  onInput: () => void,
): void {
  const handlers = useRef({ onHelp, onInput })
  handlers.current = { onHelp, onInput }
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      handlers.current.onInput()
      const video = videoRef.current
      const command = commandOf(event)
      if (!video || !command) return
      // Space and the arrows would scroll the page as well.
      event.preventDefault()
      apply(command, video, handlers.current.onHelp)
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [videoRef])
}
