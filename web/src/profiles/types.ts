/** A profile as the graph's Profiles query answers it. */
export interface GraphProfile {
  id: string
  name: string
  avatar: string
  language: string
  maturity: string
  kids: boolean
  hasPin: boolean
}

export interface ProfilesData {
  me: { id: string; profiles: GraphProfile[] } | null
}
