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

  async set(name: string, enabled: boolean): Promise<void> {
    this.disabled.delete(name);
    this.enabledOverrides.delete(name);
    (enabled ? this.enabledOverrides : this.disabled).add(name);
    await writeFileAtomic(
      this.file,
      JSON.stringify({ disabled: [...this.disabled], enabled: [...this.enabledOverrides] }, null, 2) + '\n',
      { mode: 0o600 },
    );
  }
}
