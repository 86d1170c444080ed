/**
 * A unified diff of two texts, for `--dry-run` and the window's preview. Client configs change in
 * one place, so the common head and tail are cut first and only the middle goes through an LCS.
 */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail])
    tail += 1;
  const ops = [
    ...a.slice(0, head).map((line) => ({ op: ' ', line })),
    ...lcsDiff(a.slice(head, a.length - tail), b.slice(head, b.length - tail)),
    ...a.slice(a.length - tail).map((line) => ({ op: ' ', line })),
  ];
  return `--- ${labels.from}\n+++ ${labels.to}\n${hunks(ops, context).join('')}`;
}

type Op = { op: string; line: string };

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n').map((line, index, all) => (index < all.length - 1 ? `${line}\n` : line));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

function lcsDiff(a: string[], b: string[]): Op[] {
  const table = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      table[i]![j] = a[i] === b[j] ? table[i + 1]![j + 1]! + 1 : Math.max(table[i + 1]![j]!, table[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ op: ' ', line: a[i++]! });
      j += 1;
    } else if (i < a.length && (j === b.length || table[i + 1]![j]! >= table[i]![j + 1]!)) {
      ops.push({ op: '-', line: a[i++]! });
    } else {
      ops.push({ op: '+', line: b[j++]! });
    }
  }
  return ops;
}

function hunks(ops: Op[], context: number): string[] {
  const changed = ops.map((op, index) => (op.op === ' ' ? -1 : index)).filter((index) => index >= 0);
  const out: string[] = [];
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= context * 2 + 1) end += 1;
    const from = Math.max(0, changed[start]! - context);
    const to = Math.min(ops.length, changed[end]! + context + 1);
    const before = ops.slice(0, from);
    const oldStart = before.filter((op) => op.op !== '+').length;
    const newStart = before.filter((op) => op.op !== '-').length;
    const slice = ops.slice(from, to);
    const oldCount = slice.filter((op) => op.op !== '+').length;
    const newCount = slice.filter((op) => op.op !== '-').length;
    out.push(`@@ -${range(oldStart, oldCount)} +${range(newStart, newCount)} @@\n`);
    for (const { op, line } of slice)
      out.push(op + (line.endsWith('\n') ? line : `${line}\n\\ No newline at end of file\n`));
    start = end + 1;
  }
  return out;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start + 1}` : `${count === 0 ? start : start + 1},${count}`;
}
