// Puts the direct run and the run through Gatehouse side by side, scenario by scenario.
import type { ScenarioResult, SuiteRun } from './suite.ts';

export type ScenarioRow = { scenario: string; direct: ScenarioResult; gatehouse: ScenarioResult };

export type Comparison = {
  rows: ScenarioRow[];
  directPassed: number;
  gatehousePassed: number;
  /** Scenarios that pass directly and not through Gatehouse: what the gateway broke. */
  regressions: string[];
  /** Scenarios with the same outcome but different check counts (a warning that appeared, say). */
  checkDifferences: string[];
  /** True when the same scenarios pass both ways (so the counts are equal too). */
  equal: boolean;
};

const sameChecks = (a: ScenarioResult, b: ScenarioResult) =>
  a.passedChecks === b.passedChecks && a.failedChecks === b.failedChecks && a.warnings === b.warnings;

export function compareRuns(direct: SuiteRun, gatehouse: SuiteRun): Comparison {
  const throughByName = new Map(gatehouse.scenarios.map((result) => [result.scenario, result]));
  const rows = direct.scenarios.map((result) => {
    const through = throughByName.get(result.scenario);
    if (!through) throw new Error(`Scenario ${result.scenario} ran directly but not through Gatehouse`);
    return { scenario: result.scenario, direct: result, gatehouse: through };
  });
  const passed = (results: ScenarioResult[]) => results.filter((result) => result.outcome === 'passed').length;
  const regressions = rows
    .filter((row) => row.direct.outcome === 'passed' && row.gatehouse.outcome !== 'passed')
    .map((row) => row.scenario);
  const outcomesMatch = rows.every((row) => row.direct.outcome === row.gatehouse.outcome);
  return {
    rows,
    directPassed: passed(direct.scenarios),
    gatehousePassed: passed(gatehouse.scenarios),
    regressions,
    checkDifferences: rows
      .filter((row) => row.direct.outcome === row.gatehouse.outcome && !sameChecks(row.direct, row.gatehouse))
      .map((row) => row.scenario),
    equal: outcomesMatch,
  };
}

function cell(result: ScenarioResult): string {
  if (result.outcome === 'not-run') return 'NOT RUN';
  const checks = result.passedChecks + result.failedChecks;
  const base = result.outcome === 'passed' ? `pass ${checks}/${checks}` : `FAIL ${result.passedChecks}/${checks}`;
  return result.warnings > 0 ? `${base}, ${result.warnings} warn` : base;
}

export function formatComparison(comparison: Comparison): string {
  const header = ['scenario', 'direct', 'through Gatehouse'];
  const body = comparison.rows.map((row) => {
    const differs = cell(row.direct) !== cell(row.gatehouse);
    return [row.scenario, cell(row.direct), `${cell(row.gatehouse)}${differs ? '   <-- differs' : ''}`];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((line) => line[column]!.length)));
  const format = (line: string[]) =>
    line
      .map((value, column) => value.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  const total = comparison.rows.length;
  const lines = [
    format(header),
    format(widths.map((width) => '-'.repeat(width))),
    ...body.map(format),
    '',
    `Scenarios passed directly:         ${comparison.directPassed}/${total}`,
    `Scenarios passed through Gatehouse: ${comparison.gatehousePassed}/${total}`,
  ];
  if (comparison.checkDifferences.length > 0) {
    lines.push(`Same outcome, different checks: ${comparison.checkDifferences.join(', ')}`);
  }
  for (const row of comparison.rows.filter((candidate) => candidate.gatehouse.outcome !== 'passed')) {
    lines.push('', `Through Gatehouse, ${row.scenario} ${row.gatehouse.outcome}:`);
    for (const check of row.gatehouse.checks.filter((candidate) => candidate.status === 'FAILURE')) {
      lines.push(`  - ${check.id}: ${check.errorMessage ?? check.description}`);
    }
    if (row.gatehouse.checksFile) lines.push(`  checks: ${row.gatehouse.checksFile}`);
  }
  return lines.join('\n');
}
