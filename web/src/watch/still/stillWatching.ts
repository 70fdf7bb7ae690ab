// "Are you still watching?": after a number of episodes played one after
// another without the viewer touching anything, or a long stretch without
// input, the player pauses and asks, so a sleeping viewer does not stream
// all night (and hold one of the plan's streams).

/** When to ask, per profile. */
export interface StillWatchingRule {
  /** Episodes started by the countdown, without input, before asking. */
  episodes: number
  /** Minutes without input before asking. */
  minutes: number
}

export const DEFAULT_RULE: StillWatchingRule = { episodes: 3, minutes: 90 }

/** What the player remembers between episodes (kept for the tab's life). */
export interface Idle {
  /** Episodes begun by autoplay since the viewer's last input. */
  autoplayed: number
  /** The time of the viewer's last input, ms since the epoch. */
  lastInputMs: number
}

/** The viewer did something (a key, a click, a touch): the counts start again. */
export function onInput(nowMs: number): Idle {
  return { autoplayed: 0, lastInputMs: nowMs }
}

/** An episode began because the countdown ran out. */
export function onAutoplay(idle: Idle): Idle {
  return { ...idle, autoplayed: idle.autoplayed + 1 }
}

/** Whether to stop and ask now. */
export function shouldAsk(idle: Idle, nowMs: number, rule: StillWatchingRule): boolean {
  return (
    idle.autoplayed >= rule.episodes || nowMs - idle.lastInputMs >= rule.minutes * 60_000
  )
}

const RULE_KEY = 'reelstack.stillWatching.'
const IDLE_KEY = 'reelstack.idle'

/**
 * The profile's rule. Identity keeps no field for it, so it lives in this
 * browser's storage per profile; anything unreadable falls back to the default.
 */
export function loadRule(storage: Storage, profileId: string | null): StillWatchingRule {
  const raw = profileId ? storage.getItem(RULE_KEY + profileId) : null
  if (!raw) return DEFAULT_RULE
  try {
    const parsed = JSON.parse(raw) as Partial<StillWatchingRule>
    const episodes = Number(parsed.episodes)
    const minutes = Number(parsed.minutes)
    return {
      episodes: Number.isInteger(episodes) && episodes >= 1 && episodes <= 20 ? episodes : DEFAULT_RULE.episodes,
      minutes: Number.isFinite(minutes) && minutes >= 5 && minutes <= 600 ? minutes : DEFAULT_RULE.minutes,
    }
  } catch {
    return DEFAULT_RULE
  }
}

export function saveRule(storage: Storage, profileId: string, rule: StillWatchingRule): void {
  storage.setItem(RULE_KEY + profileId, JSON.stringify(rule))
}

/** The idle counts carried from episode to episode in this tab (sessionStorage). */
export function loadIdle(storage: Storage, nowMs: number): Idle {
  try {
    const parsed = JSON.parse(storage.getItem(IDLE_KEY) ?? 'null') as Partial<Idle> | null
    if (
      parsed &&
      Number.isInteger(parsed.autoplayed) &&
      typeof parsed.lastInputMs === 'number' &&
      parsed.lastInputMs <= nowMs
    ) {
      return { autoplayed: parsed.autoplayed as number, lastInputMs: parsed.lastInputMs }
    }
  } catch {
    // A damaged entry: start counting afresh.
  }
  return onInput(nowMs)
}

export function saveIdle(storage: Storage, idle: Idle): void {
  storage.setItem(IDLE_KEY, JSON.stringify(idle))
}
