// Placeholder until the page lands.
export default function TitlePage(_: { titleId: string }) {
  return <h1>TitlePage</h1>
}
