import { useEffect, useRef, useState } from 'react';
import type { AuditMetrics, AuditStats } from '../../src-main/core/api/contract.ts';
import { useGatewayEvents, useResource } from '../api-context.tsx';
import { EmptyState, ErrorNote } from '../components/controls.tsx';

type Period = 'hour' | 'day';

/** New records change the numbers; reloading at most this often keeps a busy log cheap to watch. */
const RELOAD_AFTER_RECORD_MS = 1000;

/**
 * Calls, errors, denials and latency per server and tool over the last hour or day, from the
 * audit log's rolling metrics (`getAuditMetrics`), with the audit trail's warnings above them.
 */
export function MetricsView() {
  const metrics = useResource(['status'], (api) => api.getAuditMetrics());
  const status = useResource(['status'], (api) => api.getStatus());
  const [period, setPeriod] = useState<Period>('hour');
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useGatewayEvents((event) => {
    if (event.type !== 'audit' || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      metrics.reload();
    }, RELOAD_AFTER_RECORD_MS);
  });
  useEffect(() => () => clearTimeout(pending.current), []);

  const slice = metrics.data?.[period];
  const warnings = status.data?.audit?.warnings ?? [];
  return (
    <section className="view" aria-labelledby="metrics-title">
      <header className="view-header view-header-row">
        <div>
          <h1 id="metrics-title">Metrics</h1>
          <p className="view-lede">
            Tool calls through Gatehouse, from the audit log: volume, failures, denials, latency.
          </p>
        </div>
        <label className="field field-inline">
          <span>Period</span>
          <select value={period} onChange={(e) => setPeriod(e.target.value as Period)}>
            <option value="hour">Last hour</option>
            <option value="day">Last 24 hours</option>
          </select>
        </label>
      </header>
      {warnings.map((warning) => (
        <div key={warning} className="note note-bad" role="alert" data-audit-warning>
          {warning}
        </div>
      ))}
      <ErrorNote error={metrics.error} onRetry={metrics.reload} />
      {slice && (
        <p className="summary" aria-live="polite" data-metrics-total>
          {totalLine(slice.total)}
        </p>
      )}
      {slice && slice.servers.length === 0 && (
        <EmptyState title="No calls yet">Calls AI clients make through Gatehouse show up here.</EmptyState>
      )}
      {slice && slice.servers.length > 0 && <MetricsTable servers={slice.servers} period={period} />}
    </section>
  );
}

function MetricsTable(props: { servers: AuditMetrics['hour']['servers']; period: Period }) {
  return (
    <table className="metrics-table" style={TABLE_STYLE} aria-label={`Calls per server and tool, last ${props.period}`}>
      <thead>
        <tr>
          <th scope="col" style={NAME_CELL}>
            Server / tool
          </th>
          {['Calls', 'Errors', 'Denied', 'p50', 'p95', 'p99'].map((label) => (
            <th key={label} scope="col" style={NUMBER_CELL}>
              {label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.servers.flatMap((server) => [
          <Row key={server.server} label={server.server} stats={server.stats} strong data-server={server.server} />,
          ...server.tools.map((tool) => (
            <Row
              key={`${server.server}/${tool.name}`}
              label={tool.name}
              stats={tool.stats}
              data-tool={`${server.server}/${tool.name}`}
            />
          )),
        ])}
      </tbody>
    </table>
  );
}

function Row(props: {
  label: string;
  stats: AuditStats;
  strong?: boolean;
  'data-server'?: string;
  'data-tool'?: string;
}) {
  const { stats } = props;
  const cells = [stats.calls, stats.errors, stats.denials, ms(stats.p50Ms), ms(stats.p95Ms), ms(stats.p99Ms)];
  return (
    <tr data-server={props['data-server']} data-tool={props['data-tool']} style={ROW_STYLE}>
      <th scope="row" style={props.strong ? NAME_CELL : { ...NAME_CELL, paddingLeft: '1.5em', fontWeight: 'normal' }}>
        {props.label}
      </th>
      {cells.map((value, i) => (
        <td key={i} style={NUMBER_CELL}>
          {value}
        </td>
      ))}
    </tr>
  );
}

// Inline styles: the shared stylesheet has no table yet, and the view should not depend on one.
const TABLE_STYLE = { width: '100%', borderCollapse: 'collapse', fontVariantNumeric: 'tabular-nums' } as const;
const ROW_STYLE = { borderTop: '1px solid color-mix(in srgb, currentColor 12%, transparent)' } as const;
const NAME_CELL = { textAlign: 'left', padding: '0.4em 0.5em' } as const;
const NUMBER_CELL = { textAlign: 'right', padding: '0.4em 0.5em', whiteSpace: 'nowrap' } as const;

function totalLine(total: AuditStats): string {
  if (total.calls === 0) return 'No calls in this period.';
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `${count(total.calls, 'call')}, ${count(total.errors, 'error')}, ${total.denials} denied; p95 ${ms(total.p95Ms)}.`;
}

function ms(value: number | null): string {
  if (value === null) return '–';
  return value < 10 ? `${value.toFixed(1)} ms` : `${Math.round(value)} ms`;
}
