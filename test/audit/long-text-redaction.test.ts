import fs from 'node:fs/promises';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditLog } from '../../src-main/core/audit/index.ts';
import { openAuditLog, redact } from '../../src-main/core/audit/index.ts';
import { compileRedactionRules, maskAndTruncate, maskText } from '../../src-main/core/audit/redaction.ts';
import { API_KEY, echoCallWithSecrets, JWT, tempDir } from './support.ts';

// Long texts are masked only up to the cut plus a margin (the secret patterns over a whole 100 KB
// result cost a millisecond per call); a secret that crosses the cut must still be masked.
describe('redaction of texts longer than what the record keeps', () => {
  let dir: string;
  let log: AuditLog;

  beforeEach(async () => {
    dir = await tempDir();
    log = await openAuditLog({ dir });
  });
  afterEach(async () => {
    await log.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('masks a token that crosses the 4096-character cut of a 100 KB result and counts what was cut', () => {
    for (const secret of [JWT, API_KEY, `Bearer ${API_KEY}`]) {
      const text = `${'a'.repeat(4096 - 10)} ${secret} ${'b'.repeat(100_000)}`;
      const record = log.append(
        echoCallWithSecrets({ result: { content: [{ type: 'text', text }] }, params: { name: 'echo' } }),
      );
      const item = record.result!.content![0]!;
      expect(item.size).toBe(text.length);
      expect(item.truncated).toBe(true);
      expect(item.text).not.toContain(secret.slice(-12, -2));
      // Cut at 4096: what is kept of the secret is the start of its mask, never of the secret.
      const kept = item.text!.slice(4087, item.text!.indexOf('…'));
      expect(item.text!.slice(0, 4087)).toBe(`${'a'.repeat(4086)} `);
      expect('[REDACTED:'.startsWith(kept) || 'Bearer [REDACTED:'.startsWith(kept)).toBe(true);
      const more = Number(/…\[(\d+) more characters\]$/.exec(item.text!)![1]);
      // What follows the cut: the rest of the text, with the masked secret's own length.
      expect(more).toBeGreaterThan(100_000);
      expect(more).toBeLessThan(text.length - 4096 + 1);
    }
  });

  it('masks a private key block that starts before the cut to the end of what is kept', () => {
    const key = `-----BEGIN PRIVATE KEY-----\n${'MIIE'.repeat(5000)}\n-----END PRIVATE KEY-----`;
    const text = `config:\n${key}\n${'c'.repeat(50_000)}`;
    const record = log.append(echoCallWithSecrets({ result: { content: [{ type: 'text', text }] } }));
    expect(record.result!.content![0]!.text).toMatch(/^config:\n\[REDACTED:private-key\]/);
    expect(record.result!.content![0]!.text).not.toContain('MIIE');
  });

  it('keeps of a long text what masking all of it would keep, wherever a secret stands', () => {
    const rules = compileRedactionRules({});
    const secrets = [
      JWT,
      API_KEY,
      `Bearer ${API_KEY}`,
      'https://bob:hunter2@db.example',
      '?token=abc123',
      'password: hunter2',
      `-----BEGIN RSA PRIVATE KEY-----\n${'MIIE'.repeat(50)}\n-----END RSA PRIVATE KEY-----`,
    ];
    const kept = (text: string) => text.slice(0, text.indexOf('…'));
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 3900, max: 4200 }), fc.nat(20_000)),
        fc.constantFrom(...secrets),
        fc.constantFrom('x', 'lorem ipsum ', '{"a":1}\n'),
        (at, secret, filler) => {
          const base = filler.repeat(Math.ceil(30_000 / filler.length)).slice(0, 30_000);
          const text = `${base.slice(0, at)} ${secret} ${base.slice(at)}`;
          const out = maskAndTruncate(text, rules, 4096);
          expect(out.truncated).toBe(true);
          expect(kept(out.text)).toBe(kept(`${maskText(text, rules).slice(0, 4096)}…`));
          if (at > 4096 + 300) expect(out.text).toBe(`${text.slice(0, 4096)}…[${text.length - 4096} more characters]`);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('masks a long argument string the same way at its 64 KB cut', () => {
    const value = `${'d'.repeat(65_536 - 5)} ${API_KEY} ${'e'.repeat(200_000)}`;
    const out = redact({ value }, 'redacted') as { value: string };
    expect(out.value).not.toContain(API_KEY.slice(0, 12));
    expect(out.value.startsWith('d'.repeat(65_531))).toBe(true);
    expect(out.value).toMatch(/more characters\]$/);
  });
});
