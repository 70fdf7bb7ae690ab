// Placeholder until the page lands.
export default function SignInPage(_: { next: string }) {
  return <h1>SignInPage</h1>
}
