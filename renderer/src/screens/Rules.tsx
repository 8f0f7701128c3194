// Placeholder until the screen is built (issue 4, in progress).
export function Rules() {
  return <div className="screen" data-testid="screen-rules"><h1>Rules</h1></div>;
}
