import type { AuditRecord } from '../../src-main/core/api/contract.ts';
import { CopyButton } from '../components/controls.tsx';
import { JsonView } from '../components/JsonView.tsx';
import { formatDateTime, formatLatency } from '../format.ts';
import { OutcomeBadge } from './outcome.tsx';

/** Fields shown in their own place; anything else the audit module adds is listed under "More". */
const SHOWN = new Set([
  'id',
  'time',
  'server',
  'tool',
  'client',
  'user',
  'outcome',
  'latencyMs',
  'params',
  'response',
  'error',
  'rule',
  'reason',
]);

export function LogDetail(props: { record: AuditRecord; onClose(): void }) {
  const { record } = props;
  const extra = Object.fromEntries(Object.entries(record).filter(([key]) => !SHOWN.has(key)));

  return (
    <aside
      className="log-detail"
      aria-labelledby="log-detail-title"
      onKeyDown={(e) => e.key === 'Escape' && props.onClose()}
    >
      <header className="log-detail-header">
        <div>
          <h2 id="log-detail-title" tabIndex={-1}>
            {record.tool}
          </h2>
          <p className="muted">on {record.server}</p>
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
        <dd>{formatDateTime(record.time)}</dd>
        {record.latencyMs !== undefined && (
          <>
            <dt>Latency</dt>
            <dd className="mono">{formatLatency(record.latencyMs)}</dd>
          </>
        )}
        <dt>Client</dt>
        <dd>{record.client ?? '—'}</dd>
        {record.user && (
          <>
            <dt>User</dt>
            <dd>{record.user}</dd>
          </>
        )}
        {record.rule && (
          <>
            <dt>Rule</dt>
            <dd>
              <code>{record.rule}</code>
            </dd>
          </>
        )}
        {record.reason && (
          <>
            <dt>Reason</dt>
            <dd>{record.reason}</dd>
          </>
        )}
        {record.error && (
          <>
            <dt>Error</dt>
            <dd className="text-bad">{record.error}</dd>
          </>
        )}
      </dl>
      <h3>Parameters</h3>
      <JsonView value={record.params} label="Parameters as JSON" />
      <h3>Response</h3>
      <JsonView value={record.response} label="Response as JSON" />
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
