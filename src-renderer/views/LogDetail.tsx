import type { AuditRecord } from '../../src-main/core/api/contract.ts';
import { auditClientLabel } from '../../src-main/core/api/audit-filter.ts';
import { CopyButton } from '../components/controls.tsx';
import { JsonView } from '../components/JsonView.tsx';
import { formatDateTime, formatLatency } from '../format.ts';
import { OutcomeBadge } from './outcome.tsx';

/** Fields shown in their own place; anything else the audit module records is listed under "More". */
const SHOWN = new Set([
  'id',
  'startedAt',
  'server',
  'method',
  'name',
  'client',
  'user',
  'outcome',
  'latency',
  'params',
  'result',
  'error',
  'denyRule',
]);

export function LogDetail(props: { record: AuditRecord; onClose(): void }) {
  const { record } = props;
  const extra = Object.fromEntries(Object.entries(record).filter(([key]) => !SHOWN.has(key)));
  // For tools/call the interesting part of the params is the tool's arguments.
  const params = record.params as { arguments?: unknown } | undefined;
  const argumentsOnly =
    record.method === 'tools/call' && params !== null && typeof params === 'object' && 'arguments' in params;
  const client = record.client;

  return (
    <aside
      className="log-detail"
      aria-labelledby="log-detail-title"
      onKeyDown={(e) => e.key === 'Escape' && props.onClose()}
    >
      <header className="log-detail-header">
        <div>
          <h2 id="log-detail-title" tabIndex={-1}>
            {record.name ?? record.method}
          </h2>
          <p className="muted">
            {record.method} on {record.server}
          </p>
        </div>
        <button type="button" className="button button-quiet" onClick={props.onClose} aria-label="Close details">
          ✕
        </button>
      </header>
      <dl className="facts">
        <dt>Outcome</dt>
        <dd>
          <OutcomeBadge outcome={record.outcome} />
        </dd>
        <dt>Time</dt>
        <dd>{formatDateTime(record.startedAt)}</dd>
        {record.latency && (
          <>
            <dt>Latency</dt>
            <dd className="mono">
              {formatLatency(record.latency.totalMs)}
              {record.latency.upstreamMs !== undefined && (
                <span className="muted"> ({formatLatency(record.latency.upstreamMs)} in the server)</span>
              )}
            </dd>
          </>
        )}
        <dt>Client</dt>
        <dd>
          {auditClientLabel(record) ?? '—'}
          {client?.version && <span className="muted"> {client.version}</span>}
          {client?.localTokenId && client.name && <span className="muted"> (token {client.localTokenId})</span>}
        </dd>
        {record.user && (
          <>
            <dt>User</dt>
            <dd>{record.user.email ?? record.user.sub}</dd>
          </>
        )}
        {record.denyRule && (
          <>
            <dt>Rule</dt>
            <dd>
              <code>{record.denyRule}</code>
            </dd>
          </>
        )}
        {record.error && (
          <>
            <dt>Error</dt>
            <dd className="text-bad">{record.error}</dd>
          </>
        )}
      </dl>
      <h3>{argumentsOnly ? 'Arguments' : 'Parameters'}</h3>
      <JsonView value={argumentsOnly ? params.arguments : record.params} label="Parameters as JSON" />
      <h3>Result</h3>
      <JsonView value={record.result} label="Result as JSON" />
      {Object.keys(extra).length > 0 && (
        <>
          <h3>More</h3>
          <JsonView value={extra} label="Other fields as JSON" />
        </>
      )}
      <div className="log-detail-actions">
        <CopyButton text={() => JSON.stringify(record, null, 2)} label="Copy as JSON" />
      </div>
    </aside>
  );
}
