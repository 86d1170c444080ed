import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

type Settings = { auditRetentionDays: number };
const DEFAULTS: Settings = { auditRetentionDays: 30 };

/** The few gateway settings the window can change, kept in the data dir. */
export class GatewaySettings {
  private readonly file: string;
  private values: Settings;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'settings.json');
    let stored: Partial<Settings> = {};
    try {
      stored = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<Settings>;
    } catch {
      // none yet, or unreadable: defaults
    }
    this.values = {
      auditRetentionDays: Number.isInteger(stored.auditRetentionDays)
        ? stored.auditRetentionDays!
        : DEFAULTS.auditRetentionDays,
    };
  }

  get(): Settings {
    return this.values;
  }

  async set(change: Partial<Settings>): Promise<void> {
    this.values = { ...this.values, ...change };
    await writeFileAtomic(this.file, JSON.stringify(this.values, null, 2) + '\n', { mode: 0o600 });
  }
}
