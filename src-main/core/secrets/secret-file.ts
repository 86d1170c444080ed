import fs from 'node:fs/promises';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { SecretStoreError } from './errors.ts';

/** How the JSON document of secrets becomes file bytes and back (plain, or encrypted by the OS). */
export type SecretFileCodec = {
  encode(json: string): Promise<Uint8Array | string>;
  /** `rewrite` asks for the file to be written again (e.g. a rotated OS encryption key). */
  decode(bytes: Buffer): Promise<{ json: string; rewrite: boolean }>;
  describeFailure(file: string): string;
};

type SecretDocument = { version: 1; secrets: Record<string, string> };

/**
 * A map of secrets in one file readable only by the user. All operations of one process run one
 * after another, so a read-modify-write never loses a concurrent update. The file is re-read only
 * when it changed on disk, so another process's sign-in is seen and decryption stays rare.
 */
export class SecretFile {
  readonly file: string;
  private readonly codec: SecretFileCodec;
  private queue: Promise<unknown> = Promise.resolve();
  private cache: { stamp: string; secrets: Map<string, string> } | undefined;

  constructor(file: string, codec: SecretFileCodec) {
    this.file = file;
    this.codec = codec;
  }

  get(key: string): Promise<string | undefined> {
    return this.serialized(async () => (await this.read()).get(key));
  }

  set(key: string, value: string): Promise<void> {
    return this.serialized(async () => {
      const secrets = await this.readOrStartOver();
      secrets.set(key, value);
      await this.write(secrets);
    });
  }

  delete(key: string): Promise<void> {
    return this.serialized(async () => {
      const secrets = await this.readOrStartOver();
      if (!secrets.delete(key)) return;
      await this.write(secrets);
    });
  }

  private serialized<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation, operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async read(): Promise<Map<string, string>> {
    let bytes: Buffer;
    let stamp: string;
    try {
      const stat = await fs.stat(this.file);
      stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
      if (this.cache?.stamp === stamp) return new Map(this.cache.secrets);
      await tightenPermissions(this.file, stat.mode);
      bytes = await fs.readFile(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new SecretStoreError(
        'secret_store_unreadable',
        `Cannot read the secret store ${this.file}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const { json, rewrite } = await this.decode(bytes);
    const secrets = parseDocument(json, this.file);
    this.cache = { stamp, secrets };
    if (rewrite) await this.write(secrets);
    return new Map(secrets);
  }

  /**
   * Secrets that cannot be read are lost anyway (e.g. the OS key changed); writing must not be
   * blocked by them, or the user could never sign in again. The old bytes are kept for diagnosis.
   */
  private async readOrStartOver(): Promise<Map<string, string>> {
    try {
      return await this.read();
    } catch (error) {
      if (!(error instanceof SecretStoreError) || error.code === 'secret_store_unreadable') throw error;
      await fs.copyFile(this.file, `${this.file}.unreadable`).catch(() => undefined);
      return new Map();
    }
  }

  private async decode(bytes: Buffer): Promise<{ json: string; rewrite: boolean }> {
    try {
      return await this.codec.decode(bytes);
    } catch (error) {
      throw new SecretStoreError('secret_store_decrypt_failed', this.codec.describeFailure(this.file), {
        cause: error,
      });
    }
  }

  private async write(secrets: Map<string, string>): Promise<void> {
    const document: SecretDocument = { version: 1, secrets: Object.fromEntries(secrets) };
    await fs.chmod(this.file, 0o600).catch(() => undefined); // an existing file keeps its mode across the atomic write
    await writeFileAtomic(this.file, await this.codec.encode(JSON.stringify(document)), { mode: 0o600 });
    const stat = await fs.stat(this.file);
    this.cache = { stamp: `${stat.ino}:${stat.size}:${stat.mtimeMs}`, secrets: new Map(secrets) };
  }
}

function parseDocument(json: string, file: string): Map<string, string> {
  try {
    const document = JSON.parse(json) as SecretDocument;
    if (document?.version !== 1 || typeof document.secrets !== 'object' || document.secrets === null) {
      throw new Error('not a version 1 secret document');
    }
    return new Map(
      Object.entries(document.secrets).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch (cause) {
    throw new SecretStoreError(
      'secret_store_corrupt',
      `The secret store ${file} is damaged (${(cause as Error).message}). Sign in again to replace it, or delete the file.`,
      { cause },
    );
  }
}

/** Someone loosened the file's mode (a backup restore, a copy): secrets must stay owner-only. */
async function tightenPermissions(file: string, mode: number): Promise<void> {
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) await fs.chmod(file, 0o600);
}
