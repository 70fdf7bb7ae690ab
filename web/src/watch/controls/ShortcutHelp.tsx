import { SHORTCUTS } from '../keys/shortcuts.ts'

/** The on-screen list of keyboard shortcuts (toggled with "?" or its button). */
export function ShortcutHelp({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  return (
    <div className="shortcut-help">
      <button type="button" aria-expanded={open} aria-controls="shortcut-list" onClick={onToggle}>
        Keyboard shortcuts
      </button>
      {open && (
        <ul id="shortcut-list" data-testid="shortcuts">
          {SHORTCUTS.map((shortcut) => (
            <li key={shortcut.command}>{shortcut.label}</li>
          ))}
        </ul>
      )}
    </div>
  )
}
