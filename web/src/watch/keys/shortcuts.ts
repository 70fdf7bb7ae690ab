// The player's keyboard shortcuts, as a table the help overlay lists too.

export type Command =
  | 'toggle-play'
  | 'fullscreen'
  | 'mute'
  | 'back'
  | 'forward'
  | 'volume-up'
  | 'volume-down'
  | 'help'

export const SHORTCUTS: ReadonlyArray<{ keys: string[]; label: string; command: Command }> = [
  { keys: [' ', 'k'], label: 'Space or K: play / pause', command: 'toggle-play' },
  { keys: ['f'], label: 'F: full screen', command: 'fullscreen' },
  { keys: ['m'], label: 'M: mute', command: 'mute' },
  { keys: ['ArrowLeft'], label: '←: back 10 s', command: 'back' },
  { keys: ['ArrowRight'], label: '→: forward 10 s', command: 'forward' },
  { keys: ['ArrowUp'], label: '↑: volume up', command: 'volume-up' },
  { keys: ['ArrowDown'], label: '↓: volume down', command: 'volume-down' },
  { keys: ['?'], label: '?: this list', command: 'help' },
]

const NATIVE_VIDEO_KEYS = new Set([' ', 'ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown'])

/**
 * The command a key press means, or null. Keys typed into a form field or
 * with a modifier (the browser's own shortcuts) are not the player's.
 */
export function commandOf(event: {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
  target: unknown
}): Command | null {
  if (event.ctrlKey || event.metaKey || event.altKey) return null
  const target = event.target as { tagName?: string; isContentEditable?: boolean } | null
  const tag = target?.tagName?.toUpperCase()
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target?.isContentEditable) {
    return null
  }
  // A focused button answers Space itself, and a focused video with its own
  // controls answers Space and the arrows: taking them too would act twice.
  if (event.key === ' ' && tag === 'BUTTON') return null
  if (tag === 'VIDEO' && NATIVE_VIDEO_KEYS.has(event.key)) return null
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key
  return SHORTCUTS.find((shortcut) => shortcut.keys.includes(key))?.command ?? null
}
