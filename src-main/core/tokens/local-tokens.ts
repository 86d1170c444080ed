import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.ts';

/**
 * Local client tokens: every AI client on the machine presents one as `Authorization: Bearer …`.
 * One token per client (so one can be revoked alone), kept in a 0600 file in the data dir, because
 * the bridge and `gatehouse token` must read them back and the OS file permissions are the boundary
 * against other users on the machine.
 */
const FILE_NAME = 'client-tokens.json';
const TOKEN_PREFIX = 'gh_';

type TokenFile = { version: 1; tokens: Record<string, { token: string; createdAt: string }> };

export type TokenCheck = { ok: true; clientId: string } | { ok: false };

export class LocalTokenStore {
  readonly file: string;
  private cache: TokenFile | undefined;
  private cacheMtimeMs = -1;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, FILE_NAME);
  }

  /** The token of `clientId`, created (and persisted) on first use. */
  async getOrCreate(clientId = 'default'): Promise<string> {
    validateClientId(clientId);
    const data = await this.read();
    const existing = data.tokens[clientId];
    if (existing) return existing.token;
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    data.tokens[clientId] = { token, createdAt: new Date().toISOString() };
    await this.write(data);
    return token;
  }

  /** Removes the token of `clientId`; clients using it get 401 from then on. */
  async revoke(clientId: string): Promise<boolean> {
    const data = await this.read();
    if (!data.tokens[clientId]) return false;
    delete data.tokens[clientId];
    await this.write(data);
    return true;
  }

  /** Every token value, so the audit log can mask them wherever they turn up. */
  async values(): Promise<string[]> {
    return Object.values((await this.read()).tokens).map((t) => t.token);
  }

  async list(): Promise<{ clientId: string; createdAt: string }[]> {
    const data = await this.read();
    return Object.entries(data.tokens).map(([clientId, t]) => ({ clientId, createdAt: t.createdAt }));
  }

  /**
   * Checks a presented token in constant time per stored token. The file is re-read only when its
   * mtime changed, so a token minted by `gatehouse token` in another process works at once.
   */
  async check(presented: string): Promise<TokenCheck> {
    const data = await this.readIfChanged();
    const given = Buffer.from(presented);
    for (const [clientId, entry] of Object.entries(data.tokens)) {
      const stored = Buffer.from(entry.token);
      if (stored.length === given.length && timingSafeEqual(stored, given)) return { ok: true, clientId };
    }
    return { ok: false };
  }

  private async readIfChanged(): Promise<TokenFile> {
    let mtimeMs = -2;
    try {
      mtimeMs = (await fs.stat(this.file)).mtimeMs;
    } catch {
      // no file yet: no tokens
    }
    if (this.cache && mtimeMs === this.cacheMtimeMs) return this.cache;
    return this.read();
  }

  private async read(): Promise<TokenFile> {
    let text: string;
    try {
      const stat = await fs.stat(this.file);
      text = await fs.readFile(this.file, 'utf8');
      this.cacheMtimeMs = stat.mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      this.cache = { version: 1, tokens: {} };
      this.cacheMtimeMs = -2;
      return this.cache;
    }
    try {
      const parsed = JSON.parse(text) as TokenFile;
      if (parsed?.version !== 1 || typeof parsed.tokens !== 'object' || parsed.tokens === null)
        throw new Error('unexpected shape');
      this.cache = parsed;
      return parsed;
    } catch (cause) {
      throw new Error(
        `The token file ${this.file} is corrupt (${(cause as Error).message}). Delete it and run 'gatehouse token' to create new tokens; AI clients will then need reconnecting.`,
        { cause },
      );
    }
  }

  private async write(data: TokenFile): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    this.cache = data;
    this.cacheMtimeMs = (await fs.stat(this.file)).mtimeMs;
  }
}

function validateClientId(clientId: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/i.test(clientId)) {
    throw new Error(`Invalid client name '${clientId}': use letters, digits, '.', '_' or '-' (at most 64).`);
  }
}
