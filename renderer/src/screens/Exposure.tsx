// Placeholder until the screen is built (issue 4, in progress).
export function Exposure() {
  return <div className="screen" data-testid="screen-exposure"><h1>Exposure</h1></div>;
}
