// "Disk full" for the audit log tests: a file-size limit (RLIMIT_FSIZE) on this test process, a
// vitest fork of its own, so writes past it fail with EFBIG as they would on a full disk.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

/** util-linux's prlimit (Linux); where it is missing the disk-full tests are skipped. */
export const canLimitFileSize = process.platform === 'linux' && ['/usr/bin/prlimit', '/bin/prlimit'].some(existsSync);

/** Writes of this process past `bytes` fail with EFBIG until the limit is 'unlimited' again. */
export function limitFileSize(bytes: number | 'unlimited'): void {
  const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((file) => existsSync(file))!;
  execFileSync(prlimit, ['--pid', String(process.pid), `--fsize=${bytes}:`]);
}

/** Size of the largest file in `dir`: the limit goes just above it, so the next writes fail. */
export async function largestFile(dir: string): Promise<number> {
  const sizes = await Promise.all((await fs.readdir(dir)).map(async (f) => (await fs.stat(path.join(dir, f))).size));
  return Math.max(0, ...sizes);
}
