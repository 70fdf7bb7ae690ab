/** What the Account query answers (src/graphql/account.graphql). */
export interface Plan {
  name: string
  maxStreams: number
  maxHeight: number | null
}

export interface AccountProfile {
  id: string
  name: string
  kids: boolean
  maturity: string
  hasPin: boolean
}

export interface AccountData {
  me: { id: string; email: string; roles: string[]; plan: Plan; profiles: AccountProfile[] } | null
  activeDevices:
    | { deviceId: string; name: string; profileId: string; since: string; title: { id: string; name: string } }[]
    | null
}

/** The plans identity offers (identity/models.py PLANS); the graph says which one is the account's. */
export const PLAN_NAMES = ['basic', 'standard', 'premium'] as const
