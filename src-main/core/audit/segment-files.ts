import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Segment files: `audit-00000001.jsonl`, numbered in write order, one record per line. Beside each,
 * `.idx` holds its query index and `.torn` whatever incomplete tail a crash left (kept, not
 * deleted, because it is evidence).
 */
const SEGMENT_PATTERN = /^audit-(\d{8,})\.jsonl$/;

const segmentFileName = (number: number): string => `audit-${String(number).padStart(8, '0')}.jsonl`;
export const indexFileOf = (segmentFile: string): string => segmentFile.replace(/\.jsonl$/, '.idx');
export const tornFileOf = (segmentFile: string): string => segmentFile.replace(/\.jsonl$/, '.torn');

/** Segment numbers present in `dir`, ascending. */
export async function listSegmentNumbers(dir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const numbers: number[] = [];
  for (const name of names) {
    const match = SEGMENT_PATTERN.exec(name);
    if (match) numbers.push(Number(match[1]));
  }
  return numbers.sort((a, b) => a - b);
}

export const segmentPath = (dir: string, number: number): string => path.join(dir, segmentFileName(number));

export async function fileSize(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

/** Reads `length` bytes at `position` (fewer at end of file). */
export async function readRange(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? buffer : buffer.subarray(0, done);
  } finally {
    await handle.close();
  }
}

/**
 * Splits a buffer of lines. `complete` are the lines that ended with a newline, each with its byte
 * offset (relative to the buffer) and byte length including the newline; `rest` is the number of
 * bytes after the last newline (an unfinished or torn line).
 */
export function splitLines(buffer: Buffer): { lines: { offset: number; length: number }[]; rest: number } {
  const lines: { offset: number; length: number }[] = [];
  let start = 0;
  for (;;) {
    const end = buffer.indexOf(10, start);
    if (end < 0) break;
    lines.push({ offset: start, length: end + 1 - start });
    start = end + 1;
  }
  return { lines, rest: buffer.length - start };
}
