// The header's links to the areas an account's roles open. Only navigation:
// every API behind those pages refuses a token without the role itself.

/** The roles that open the studio (its pages' gate uses the same list). */
export const STUDIO_ROLES = ['studio', 'admin']
/** The roles that open the ops console. */
export const OPS_ROLES = ['admin']

export interface Section {
  to: string
  label: string
}

/** The role areas to link from the header for an account holding `roles`. */
export function roleSections(roles: readonly string[]): Section[] {
  const holds = (wanted: string[]) => roles.some((role) => wanted.includes(role))
  const sections: Section[] = []
  if (holds(STUDIO_ROLES)) sections.push({ to: '/studio', label: 'Studio' })
  if (holds(OPS_ROLES)) sections.push({ to: '/ops', label: 'Ops' })
  return sections
}
