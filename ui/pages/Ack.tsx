export function AckPage({ token }: { token: string }) {
  return <main class="container"><h1>Acknowledge</h1><p>{token.length}</p></main>;
}
