// Runs the official suite `@modelcontextprotocol/conformance` against one server URL and reads its
// per-scenario checks back. A scenario passes as the suite itself counts it (its summary's check
// mark): none of its checks failed.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runToCompletion, nodeBinary } from './processes.ts';

type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

export type ConformanceCheck = {
  id: string;
  name: string;
  description: string;
  status: CheckStatus;
  errorMessage?: string;
  details?: unknown;
};

export type ScenarioResult = {
  scenario: string;
  /** `not-run`: the suite wrote no checks for it (it crashed on the scenario). */
  outcome: 'passed' | 'failed' | 'not-run';
  passedChecks: number;
  failedChecks: number;
  warnings: number;
  checks: ConformanceCheck[];
  /** Where the suite saved this scenario's checks, for evidence. */
  checksFile?: string;
};

export type SuiteRun = { url: string; scenarios: ScenarioResult[]; logFile: string };

const SUITE_TIMEOUT_MS = 240_000;

/** The suite's CLI (its `bin`), run with Node 22 whatever node runs this file. */
function suiteCli(): string {
  return fileURLToPath(import.meta.resolve('@modelcontextprotocol/conformance/dist/index.js'));
}

async function suite(args: string[], signal?: AbortSignal) {
  return runToCompletion(nodeBinary(), [suiteCli(), ...args], { timeoutMs: SUITE_TIMEOUT_MS, signal });
}

/** Every server scenario the installed suite knows, pending ones included, in the suite's order. */
export async function listServerScenarios(signal?: AbortSignal): Promise<string[]> {
  const listing = await suite(['list', '--server'], signal);
  if (listing.code !== 0) throw new Error(`conformance list failed (exit ${listing.code}):\n${listing.stderr}`);
  return [...listing.stdout.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1]!);
}

function summarize(scenario: string, checks: ConformanceCheck[], checksFile: string): ScenarioResult {
  const count = (status: CheckStatus) => checks.filter((check) => check.status === status).length;
  const failedChecks = count('FAILURE');
  return {
    scenario,
    outcome: failedChecks === 0 ? 'passed' : 'failed',
    passedChecks: count('SUCCESS'),
    failedChecks,
    warnings: count('WARNING'),
    checks,
    checksFile,
  };
}

/** Result directories are named `server-<scenario>-<ISO timestamp with - for : and .>`. */
async function readResults(outputDir: string, scenarios: string[]): Promise<ScenarioResult[]> {
  const entries = await readdir(outputDir);
  return Promise.all(
    scenarios.map(async (scenario) => {
      const directory = entries.find((entry) =>
        new RegExp(`^server-${scenario}-\\d{4}-\\d{2}-\\d{2}T[\\d-]+Z$`).test(entry),
      );
      if (!directory) {
        return { scenario, outcome: 'not-run', passedChecks: 0, failedChecks: 0, warnings: 0, checks: [] };
      }
      const checksFile = path.join(outputDir, directory, 'checks.json');
      const checks = JSON.parse(await readFile(checksFile, 'utf8')) as ConformanceCheck[];
      return summarize(scenario, checks, checksFile);
    }),
  );
}

/** Runs every server scenario (`--suite all`) against `url`, saving results under `outputDir`. */
export async function runSuite(
  url: string,
  scenarios: string[],
  outputDir: string,
  signal?: AbortSignal,
): Promise<SuiteRun> {
  const run = await suite(['server', '--url', url, '--suite', 'all', '--output-dir', outputDir], signal);
  const logFile = path.join(outputDir, 'suite.log');
  await writeFile(logFile, `$ conformance server --url ${url} --suite all\n${run.stdout}\n${run.stderr}`);
  // Exit 1 only means some check failed; anything else is the suite itself failing.
  if (run.code !== 0 && run.code !== 1) {
    throw new Error(`The conformance suite exited with ${run.code} against ${url}; see ${logFile}`);
  }
  return { url, scenarios: await readResults(outputDir, scenarios), logFile };
}
