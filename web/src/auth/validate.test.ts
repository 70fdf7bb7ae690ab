import { describe, expect, it } from 'vitest'
import { emailProblem, newPasswordProblem, pinProblem } from './validate.ts'
import { duration } from '../title/types.ts'

describe('form checks', () => {
  it('asks for a real-looking email', () => {
    expect(emailProblem('')).toMatch(/Enter your email/)
    expect(emailProblem('ann')).toMatch(/such as/)
    expect(emailProblem('a@b')).toMatch(/such as/)
    expect(emailProblem(`${'a'.repeat(250)}@b.io`)).toMatch(/such as/)
    expect(emailProblem(' ann@example.com ')).toBeNull()
  })

  it('holds a new password to identity rules', () => {
    expect(newPasswordProblem('short')).toMatch(/at least 12/)
    expect(newPasswordProblem('aaaaaaaaaaaaaab')).toMatch(/4 different/)
    expect(newPasswordProblem('x'.repeat(129))).toMatch(/at most 128/)
    expect(newPasswordProblem('correct horse battery')).toBeNull()
  })

  it('takes a PIN of exactly four digits', () => {
    expect(pinProblem('1234')).toBeNull()
    for (const bad of ['123', '12345', 'abcd', '12 4']) expect(pinProblem(bad)).not.toBeNull()
  })

  it('says a length in minutes or hours', () => {
    expect(duration(24 * 60)).toBe('24 min')
    expect(duration(102 * 60)).toBe('1 h 42 min')
    expect(duration(null)).toBeNull()
    expect(duration(Number.NaN)).toBeNull()
  })
})
