// An app's icon from its .desktop file, or a neutral square.
export function AppIcon({ src, name }: { src?: string | undefined; name: string }) {
  if (!src) return <span className="app-icon placeholder" aria-hidden="true" />;
  return <img className="app-icon" src={src} alt="" title={name} />;
}
