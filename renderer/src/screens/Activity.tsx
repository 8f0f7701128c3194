// Placeholder until the screen is built (issue 4, in progress).
export function Activity() {
  return <div className="screen" data-testid="screen-activity"><h1>Activity</h1></div>;
}
