// The checks a form can make before asking identity (which checks again and
// has the last word: its reason is shown as it comes).

/** Identity's limits (src/reelstack/identity/models.py). */
export const MIN_PASSWORD = 12
export const MAX_PASSWORD = 128

export function emailProblem(email: string): string | null {
  const value = email.trim()
  if (!value) return 'Enter your email.'
  if (value.length > 254 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
    return 'Enter an email such as ann@example.com.'
  }
  return null
}

export function newPasswordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD) return `Use at least ${MIN_PASSWORD} characters.`
  if (password.length > MAX_PASSWORD) return `Use at most ${MAX_PASSWORD} characters.`
  if (new Set(password).size < 4) return 'Use at least 4 different characters.'
  return null
}

export function pinProblem(pin: string): string | null {
  return /^[0-9]{4}$/.test(pin) ? null : 'A PIN is 4 digits.'
}
