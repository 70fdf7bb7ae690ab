import { describe, expect, it } from 'vitest'
import { commandOf } from './shortcuts.ts'

const press = (key: string, target: unknown = { tagName: 'BODY' }, more = {}) =>
  commandOf({ key, ctrlKey: false, metaKey: false, altKey: false, target, ...more })

describe('keyboard shortcuts', () => {
  it('maps the player keys, in either case', () => {
    expect([' ', 'k', 'K', 'f', 'm', 'ArrowLeft', 'ArrowRight', '?'].map((k) => press(k))).toEqual([
      'toggle-play',
      'toggle-play',
      'toggle-play',
      'fullscreen',
      'mute',
      'back',
      'forward',
      'help',
    ])
    expect(press('x')).toBeNull()
  })

  it('leaves typing, browser shortcuts and focused controls alone', () => {
    expect(press('k', { tagName: 'INPUT' })).toBeNull()
    expect(press('f', { tagName: 'DIV', isContentEditable: true })).toBeNull()
    expect(press('f', { tagName: 'BODY' }, { ctrlKey: true })).toBeNull()
    expect(press(' ', { tagName: 'BUTTON' })).toBeNull()
    expect(press('ArrowLeft', { tagName: 'VIDEO' })).toBeNull()
    expect(press('m', { tagName: 'VIDEO' })).toBe('mute')
  })
})
