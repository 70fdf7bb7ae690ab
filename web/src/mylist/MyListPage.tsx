// Placeholder until the page lands.
export default function MyListPage() {
  return <h1>MyListPage</h1>
}
