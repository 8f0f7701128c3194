// Placeholder until the screen is built (issue 4, in progress).
export function Settings() {
  return <div className="screen" data-testid="screen-settings"><h1>Settings</h1></div>;
}
