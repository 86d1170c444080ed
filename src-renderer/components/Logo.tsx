/** The Gatehouse mark: a crenellated gate tower (the same drawing as the app icon, build/icon.svg). */
const GATE_PATH = 'M3 2h2.5v2h1.25V2h2.5v2h1.25V2H13v12h-3V9a2 2 0 0 0-4 0v5H3z';

export function Logo(props: { size?: number }) {
  const size = props.size ?? 28;
  return (
    <svg className="logo" width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      <rect width="16" height="16" rx="3.5" className="logo-bg" />
      <path d={GATE_PATH} transform="translate(2.4 2.4) scale(0.7)" className="logo-fg" />
    </svg>
  );
}
