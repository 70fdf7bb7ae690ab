// Placeholder until the page lands.
export default function ProfilesPage() {
  return <h1>ProfilesPage</h1>
}
