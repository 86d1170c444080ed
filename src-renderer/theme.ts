export type ThemeChoice = 'system' | 'light' | 'dark';

const KEY = 'gatehouse.theme';

/** The theme is a window preference, kept by the window itself (localStorage), not by the core. */
export function loadTheme(): ThemeChoice {
  const value = localStorage.getItem(KEY);
  return value === 'light' || value === 'dark' ? value : 'system';
}

export function applyTheme(choice: ThemeChoice): void {
  if (choice === 'system') {
    delete document.documentElement.dataset.theme;
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.dataset.theme = choice;
    localStorage.setItem(KEY, choice);
  }
}
