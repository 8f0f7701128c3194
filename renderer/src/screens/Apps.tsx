// Placeholder until the screen is built (issue 4, in progress).
export function Apps() {
  return <div className="screen" data-testid="screen-apps"><h1>Apps</h1></div>;
}
