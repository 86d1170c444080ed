import fs from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditLog, AuditRecord } from '../../src-main/core/audit/index.ts';
import {
  maskSecretsInText,
  MIN_SECRET_LENGTH,
  openAuditLog,
  redact,
  REDACTION_LEVELS,
  redactionLevelFor,
} from '../../src-main/core/audit/index.ts';
import { API_KEY, echoCallWithSecrets, JWT, LOCAL_TOKEN, readAllSegmentText, tempDir } from './support.ts';

describe('redaction levels on a realistic tool call', () => {
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

  async function recordAt(level: 'none' | 'shape' | 'redacted' | 'full', overrides = {}): Promise<AuditRecord> {
    log.setRedaction({ level });
    const appended = log.append(echoCallWithSecrets(overrides));
    const { records } = await log.query({ limit: 1 });
    expect(records[0]).toEqual(appended);
    return records[0]!;
  }

  it('none keeps metadata only: who, what, outcome, sizes; no values', async () => {
    const record = await recordAt('none');
    expect(record.redaction).toBe('none');
    expect(record).not.toHaveProperty('params');
    expect(record.result).toEqual({
      content: [{ type: 'text', size: `Echo: deploy acme/widgets with token ${JWT}`.length }],
      isError: false,
    });
    expect(record).toMatchObject({
      server: 'everything',
      method: 'tools/call',
      name: 'echo',
      outcome: 'ok',
      bytesIn: 412,
      bytesOut: 388,
    });
    expect(record.user).toEqual({ sub: 'alice', email: 'alice@acme.com', groups: ['eng'] });
  });

  it('shape keeps keys and value types', async () => {
    const record = await recordAt('shape');
    expect(record.params).toEqual({
      name: 'string',
      arguments: {
        message: 'string',
        api_key: 'string',
        repo: 'string',
        options: { headers: { Authorization: 'string' }, retries: 'integer', verbose: 'boolean', ratio: 'number' },
        tags: ['string'],
      },
      _meta: { progressToken: 'integer' },
    });
    expect(record.result?.structuredContent).toEqual({ echoed: 'string', apiKey: 'string', length: 'integer' });
    expect(record.result?.content?.[0]).not.toHaveProperty('text');
  });

  it('redacted masks the JWT, the api_key, the bearer token and keeps ordinary values', async () => {
    const record = await recordAt('redacted');
    const args = (record.params as { arguments: Record<string, unknown> }).arguments;
    expect(args.message).toBe('deploy acme/widgets with token [REDACTED:jwt]');
    expect(args.api_key).toBe('[REDACTED:key]');
    expect(args.repo).toBe('acme/widgets');
    expect(args.options).toEqual({
      headers: { Authorization: '[REDACTED:key]' },
      retries: 3,
      verbose: true,
      ratio: 0.5,
    });
    expect(args.tags).toEqual(['deploy', 'prod']);
    expect(record.result?.content?.[0]?.text).toBe('Echo: deploy acme/widgets with token [REDACTED:jwt]');
    expect(record.result?.structuredContent).toEqual({
      echoed: 'deploy acme/widgets with token [REDACTED:jwt]',
      apiKey: '[REDACTED:key]',
      length: `deploy acme/widgets with token ${JWT}`.length,
    });
    const stored = JSON.stringify(record);
    expect(stored).not.toContain(JWT.split('.')[1]);
    expect(stored).not.toContain(API_KEY);
  });

  it('full keeps values as they are', async () => {
    const record = await recordAt('full');
    const args = (record.params as { arguments: Record<string, unknown> }).arguments;
    expect(args.message).toContain(JWT);
    expect(args.api_key).toBe(API_KEY);
    expect(record.result?.structuredContent).toMatchObject({ apiKey: API_KEY });
  });

  it('masks secrets the gateway registered at every level, in params, results and errors, and never writes them to disk', async () => {
    expect(log.registerSecret(LOCAL_TOKEN)).toBe(true);
    expect(log.registerSecret('s'.repeat(MIN_SECRET_LENGTH - 1))).toBe(false);
    const injected = 'org-upstream-credential-7d1e';
    log.registerSecret(injected);
    for (const level of REDACTION_LEVELS) {
      const record = await recordAt(level, {
        result: { content: [{ type: 'text', text: `token was ${LOCAL_TOKEN}, credential ${injected}` }] },
        error: `upstream said: bad credential ${injected}`,
        outcome: 'tool_error',
      });
      const text = JSON.stringify(record);
      expect(text).not.toContain(LOCAL_TOKEN);
      expect(text).not.toContain(injected);
      if (level === 'full') {
        expect(
          (record.params as { arguments: { options: { headers: { Authorization: string } } } }).arguments.options
            .headers.Authorization,
        ).toBe('Bearer [REDACTED:secret]');
        expect(record.result?.content?.[0]?.text).toBe('token was [REDACTED:secret], credential [REDACTED:secret]');
      }
      expect(record.error).toBe('upstream said: bad credential [REDACTED:secret]');
    }
    await log.flush();
    const onDisk = await readAllSegmentText(dir);
    expect(onDisk).not.toContain(LOCAL_TOKEN);
    expect(onDisk).not.toContain(injected);
    const verified = await log.verify();
    expect(verified.ok).toBe(true);
  });

  it('applies the org patterns at redacted but not at full, and per-server and per-tool levels', async () => {
    log.setRedaction({
      level: 'none',
      patterns: ['ACME-\\d{6}'],
      servers: { everything: { level: 'redacted', tools: { printEnv: 'full' } }, github: { level: 'shape' } },
    });
    const withTicket = echoCallWithSecrets({
      params: { name: 'echo', arguments: { message: 'see ticket ACME-123456' } },
    });
    log.append(withTicket);
    log.append({ ...withTicket, name: 'printEnv' });
    log.append({ ...withTicket, server: 'github' });
    log.append({ ...withTicket, server: 'memory' });
    const { records } = await log.query({ limit: 4 });
    const [memory, github, printEnv, echo] = records;
    expect((echo!.params as { arguments: { message: string } }).arguments.message).toBe(
      'see ticket [REDACTED:pattern]',
    );
    expect((printEnv!.params as { arguments: { message: string } }).arguments.message).toBe('see ticket ACME-123456');
    expect(github!.params).toEqual({ name: 'string', arguments: { message: 'string' } });
    expect(memory!.redaction).toBe('none');
    expect(memory).not.toHaveProperty('params');
  });

  it('rejects an org pattern that is not a regular expression, naming it', () => {
    expect(() => log.setRedaction({ patterns: ['(unclosed'] })).toThrow(/\(unclosed/);
  });
});

describe('secret detection in text', () => {
  it.each([
    ['a JWT', `id_token=${JWT}`, JWT.slice(0, 20)],
    ['a bearer token', 'Authorization: Bearer abc123def456ghi789', 'abc123def456'],
    ['an OpenAI key', `key ${API_KEY}`, API_KEY],
    ['a GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abcdefghij'],
    ['an AWS key id', 'AKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7'],
    ['a Slack token', 'xoxb-123456789012-abcdefghij', 'xoxb-1234'],
    ['a Gatehouse local token', LOCAL_TOKEN, LOCAL_TOKEN],
    ['a password in a URL', 'postgres://app:hunter2hunter2@db.internal/app', 'hunter2'],
    ['a token in a query string', 'https://api.example.com/x?access_token=abcdef123&page=2', 'abcdef123'],
    ['a key=value secret', 'export PASSWORD=correct-horse-battery', 'correct-horse'],
    [
      'a private key',
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
      'MIIEowIBAAKCAQEA',
    ],
  ])('masks %s', (_what, text, secret) => {
    const masked = maskSecretsInText(text);
    expect(masked).not.toContain(secret);
    expect(masked).toContain('[REDACTED:');
  });

  it('masks the org patterns given to the standalone functions', () => {
    expect(maskSecretsInText('ticket ACME-123456 for bob', { patterns: ['ACME-\\d{6}'] })).toBe(
      'ticket [REDACTED:pattern] for bob',
    );
    expect(redact({ note: 'ACME-123456', n: 1 }, 'redacted', { patterns: ['ACME-\\d{6}'] })).toEqual({
      n: 1,
      note: '[REDACTED:pattern]',
    });
    expect(redact({ note: 'ACME-123456' }, 'full', { patterns: ['ACME-\\d{6}'] })).toEqual({ note: 'ACME-123456' });
  });

  it('leaves ordinary text alone', () => {
    const text = 'List the open pull requests in acme/widgets sorted by date; max_tokens=100, page 2';
    expect(maskSecretsInText(text)).toBe(text);
    expect(redact({ max_tokens: 100, author: 'bob', auth: false, token_count: 3 }, 'redacted')).toEqual({
      max_tokens: 100,
      author: 'bob',
      auth: false,
      token_count: 3,
    });
  });

  it('resolves the level: tool over server over default over redacted', () => {
    const config = {
      level: 'shape' as const,
      servers: { a: { level: 'full' as const, tools: { t: 'none' as const } } },
    };
    expect(redactionLevelFor(config, 'a', 't')).toBe('none');
    expect(redactionLevelFor(config, 'a', 'u')).toBe('full');
    expect(redactionLevelFor(config, 'b', 't')).toBe('shape');
    expect(redactionLevelFor({}, 'b', undefined)).toBe('redacted');
  });
});
