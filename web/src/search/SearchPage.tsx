// Placeholder until the page lands.
export default function SearchPage(_: { query: string }) {
  return <h1>SearchPage</h1>
}
