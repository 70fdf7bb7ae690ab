// The web app's shell. The gateway serves the built files; browsing, profiles
// and the player arrive with the web app's own issue.
export default function App() {
  return (
    <main className="shell">
      <h1>reelstack</h1>
      <p>Your own streaming service. The catalog appears here once titles are published.</p>
    </main>
  )
}
