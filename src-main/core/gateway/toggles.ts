import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/** The user's on/off choices per server, kept across restarts. */
export class ServerToggles {
  private readonly file: string;
  private disabled: Set<string>;
  private enabledOverrides: Set<string>;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'server-toggles.json');
    let data: { disabled?: string[]; enabled?: string[] } = {};
    try {
      data = JSON.parse(fs.readFileSync(this.file, 'utf8')) as typeof data;
    } catch {
      // none yet, or unreadable: the config's defaults apply
    }
    this.disabled = new Set(Array.isArray(data.disabled) ? data.disabled : []);
    this.enabledOverrides = new Set(Array.isArray(data.enabled) ? data.enabled : []);
  }

  /** Whether the server is on: the user's choice if they made one, else the config default. */
  isEnabled(name: string, defaultOn: boolean): boolean {
    if (this.disabled.has(name)) return false;
    if (this.enabledOverrides.has(name)) return true;
    return defaultOn;
  }

  /** The explicit choices, as the policy's decide() takes them. */
  choices(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const name of this.disabled) out[name] = false;
    for (const name of this.enabledOverrides) out[name] = true;
    return out;
  }

  /** Records the user's choice; undefined forgets it (the default applies again). */
  async set(name: string, enabled: boolean | undefined): Promise<void> {
    this.disabled.delete(name);
    this.enabledOverrides.delete(name);
    if (enabled !== undefined) (enabled ? this.enabledOverrides : this.disabled).add(name);
    await writeFileAtomic(
      this.file,
      JSON.stringify({ disabled: [...this.disabled], enabled: [...this.enabledOverrides] }, null, 2) + '\n',
      { mode: 0o600 },
    );
  }
}
