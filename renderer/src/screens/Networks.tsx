// Placeholder until the screen is built (issue 4, in progress).
export function Networks() {
  return <div className="screen" data-testid="screen-networks"><h1>Networks</h1></div>;
}
