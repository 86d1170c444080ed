export type Bounds = { x: number; y: number; width: number; height: number };
export type SavedWindow = { width: number; height: number; x?: number; y?: number };

const DEFAULT_WINDOW: SavedWindow = { width: 1100, height: 720 };
export const MIN_WINDOW = { width: 380, height: 420 };

/**
 * Where to open the window: the saved size, and the saved position only if enough of it is still on
 * one of the displays (a monitor may have been unplugged since); otherwise the OS centers it.
 */
export function restoreBounds(saved: SavedWindow | undefined, workAreas: Bounds[]): SavedWindow {
  const width = Math.max(MIN_WINDOW.width, saved?.width ?? DEFAULT_WINDOW.width);
  const height = Math.max(MIN_WINDOW.height, saved?.height ?? DEFAULT_WINDOW.height);
  if (saved?.x === undefined || saved.y === undefined) return { width, height };
  const window = { x: saved.x, y: saved.y, width, height };
  const visible = workAreas.some((area) => overlap(window, area) >= Math.min(width * height, 100 * 100));
  return visible ? window : { width, height };
}

function overlap(a: Bounds, b: Bounds): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}
