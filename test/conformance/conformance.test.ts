// Issue 2's bar for a faithful proxy: the official MCP conformance suite passes the same scenarios
// through Gatehouse (`/servers/<name>/mcp`) as directly against the upstream.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { runConformance } from '../../scripts/conformance.ts';

it('passes the same conformance scenarios through Gatehouse as directly', async () => {
  const artifactsDir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-conformance-results-'));
  const report = await runConformance({ artifactsDir });
  const { comparison } = report;
  const evidence = `\n${report.table}\nResults and logs: ${artifactsDir}`;

  expect(comparison.directPassed, `no scenario passed directly${evidence}`).toBeGreaterThan(0);
  expect(comparison.regressions, `scenarios that pass directly but fail through Gatehouse${evidence}`).toEqual([]);
  expect(comparison.gatehousePassed, evidence).toBe(comparison.directPassed);
  expect(comparison.equal, evidence).toBe(true);
  // Kept when an assertion fails, for the evidence above.
  await rm(artifactsDir, { recursive: true, force: true });
}, 180_000);
