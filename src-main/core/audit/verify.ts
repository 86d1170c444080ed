import fs from 'node:fs/promises';
import path from 'node:path';
import { GENESIS_HASH, recordHash } from './canonical.ts';
import { listSegmentNumbers, segmentPath } from './segment-files.ts';

type BrokenLinkReason =
  /** The line is not a JSON object: edited by hand or damaged on disk. */
  | 'unreadable'
  /** The record's content does not match its own hash: the record was changed after it was written. */
  | 'hash-mismatch'
  /** The record does not point at the one before it: a record was removed, inserted or reordered. */
  | 'chain-broken'
  /** A segment ends in the middle of a line although a later one exists. */
  | 'truncated';

type BrokenLink = {
  file: string;
  /** 1-based line number in that file. */
  line: number;
  recordId?: string;
  reason: BrokenLinkReason;
  detail: string;
};

export type VerifyResult = {
  ok: boolean;
  records: number;
  segments: number;
  firstId?: string;
  lastId?: string;
  lastHash: string;
  /**
   * When retention removed the oldest segments, the chain is checked from the first record kept,
   * whose prevHash is taken as given; this is that prevHash.
   */
  anchoredAt?: string;
  /** The newest segment ends in an unfinished line: a write in progress (or a crash not yet recovered). */
  unfinishedTail: boolean;
  broken?: BrokenLink;
};

/**
 * Re-reads every segment and checks each record's hash and its link to the previous one; stops at
 * the first broken link. Works on the files alone (no index), so it can run on a copy of the folder.
 */
export async function verifyAuditDir(dir: string): Promise<VerifyResult> {
  const numbers = await listSegmentNumbers(dir);
  const result: VerifyResult = {
    ok: true,
    records: 0,
    segments: numbers.length,
    lastHash: GENESIS_HASH,
    unfinishedTail: false,
  };
  let expected: string | undefined = numbers[0] === 1 || numbers.length === 0 ? GENESIS_HASH : undefined;
  for (const [i, number] of numbers.entries()) {
    const file = segmentPath(dir, number);
    const isLast = i === numbers.length - 1;
    const previous = numbers[i - 1];
    const gap =
      previous !== undefined && number !== previous + 1
        ? ` (segment files ${previous + 1} to ${number - 1} are missing)`
        : '';
    let lineNumber = 0;
    const fail = (reason: BrokenLinkReason, detail: string, recordId?: string): VerifyResult => {
      result.ok = false;
      result.broken = { file: path.basename(file), line: lineNumber, reason, detail };
      if (recordId) result.broken.recordId = recordId;
      return result;
    };
    for await (const line of readLines(file)) {
      lineNumber++;
      if (!line.complete) {
        if (isLast) {
          result.unfinishedTail = true;
          break;
        }
        return fail('truncated', 'the segment ends in the middle of a line although later segments exist');
      }
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line.text) as Record<string, unknown>;
        if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new Error('not an object');
      } catch {
        return fail('unreadable', 'the line is not a JSON record');
      }
      const id = typeof record.id === 'string' ? record.id : undefined;
      const actual = recordHash(record);
      if (record.hash !== actual) {
        return fail('hash-mismatch', `the record's content hashes to ${actual} but it says ${String(record.hash)}`, id);
      }
      if (expected === undefined) {
        result.anchoredAt = String(record.prevHash);
      } else if (record.prevHash !== expected) {
        return fail(
          'chain-broken',
          `prevHash is ${String(record.prevHash)} but the record before it has hash ${expected}${lineNumber === 1 ? gap : ''}`,
          id,
        );
      }
      expected = actual;
      result.records++;
      result.firstId ??= id;
      result.lastId = id;
      result.lastHash = actual;
    }
  }
  return result;
}

/** The lines of a file, streamed; the last one is `complete: false` when it has no newline. */
async function* readLines(file: string): AsyncGenerator<{ text: string; complete: boolean }> {
  const handle = await fs.open(file, 'r');
  try {
    const chunk = Buffer.alloc(1 << 20);
    let carry = Buffer.alloc(0);
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data =
        carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const end = data.indexOf(10, start);
        if (end < 0) break;
        yield { text: data.toString('utf8', start, end), complete: true };
        start = end + 1;
      }
      carry = Buffer.from(data.subarray(start));
    }
    if (carry.length > 0) yield { text: carry.toString('utf8'), complete: false };
  } finally {
    await handle.close();
  }
}
