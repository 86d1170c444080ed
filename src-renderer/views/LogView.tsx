import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import {
  auditClientLabel,
  auditSearchText,
  isEmptyAuditFilter,
  matchesAuditFilter,
} from '../../src-main/core/api/audit-filter.ts';
import type { AuditFilter, AuditRecord } from '../../src-main/core/api/contract.ts';
import { useApi, useGatewayEvents, useResource, useStreamState } from '../api-context.tsx';
import { ErrorNote } from '../components/controls.tsx';
import { VirtualList } from '../components/VirtualList.tsx';
import { formatClock, formatLatency } from '../format.ts';
import { LogBuffer } from '../log/log-buffer.ts';
import { LogDetail } from './LogDetail.tsx';
import { OUTCOME_LABELS, OutcomeBadge } from './outcome.tsx';

const ROW_HEIGHT = 34;
const PAGE_SIZE = 500;
/** How far back a reconnect catches up (100,000 records); older ones are paged in by scrolling. */
const MAX_CATCH_UP_PAGES = 200;

/** One filter's worth of rows: replaced as a whole when the filter changes, so late pages of an old filter are dropped. */
type Session = {
  buffer: LogBuffer;
  cursor: string | null | undefined;
  loading: boolean;
  facets: { servers: Set<string>; tools: Set<string>; clients: Set<string> };
};

function newSession(): Session {
  return {
    buffer: new LogBuffer(),
    cursor: undefined,
    loading: false,
    facets: { servers: new Set(), tools: new Set(), clients: new Set() },
  };
}

function noteFacets(session: Session, records: AuditRecord[]): void {
  for (const r of records) {
    session.facets.servers.add(r.server);
    if (r.name) session.facets.tools.add(r.name);
    const client = auditClientLabel(r);
    if (client) session.facets.clients.add(client);
  }
}

export function LogView() {
  const api = useApi();
  const stream = useStreamState();
  const [filter, setFilter] = useState<AuditFilter>({});
  const [text, setText] = useState('');
  const [session, setSession] = useState(newSession);
  const [, setVersion] = useState(0);
  const [selectedRow, setSelectedRow] = useState<number | null>(null);
  const [selected, setSelected] = useState<AuditRecord | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [unseen, setUnseen] = useState(0);
  const listRef = useRef<HTMLDivElement>(null);
  const pending = useRef<AuditRecord[]>([]);
  const frame = useRef(0);
  const scrollAdjust = useRef(0);
  const filterRef = useRef(filter);
  filterRef.current = filter;
  const searchCache = useRef(new WeakMap<AuditRecord, string>());
  const servers = useResource(['servers'], (a) => a.listServers());
  const clients = useResource(['clients'], (a) => a.listClients());

  const searchText = useCallback((record: AuditRecord) => {
    let cached = searchCache.current.get(record);
    if (cached === undefined) searchCache.current.set(record, (cached = auditSearchText(record)));
    return cached;
  }, []);

  // The free-text box filters after a short pause in typing, not on every key.
  useEffect(() => {
    const timer = setTimeout(
      () => setFilter((f) => (f.text === (text || undefined) ? f : { ...f, text: text || undefined })),
      200,
    );
    return () => clearTimeout(timer);
  }, [text]);

  const loadOlder = useCallback(
    async (target: Session) => {
      if (target.loading || target.cursor === null || target.buffer.droppedOlder) return;
      target.loading = true;
      try {
        const page = await api.queryAudit({
          filter: compact(filterRef.current),
          limit: PAGE_SIZE,
          ...(target.cursor && { cursor: target.cursor }),
        });
        noteFacets(target, page.records);
        target.buffer.addOlder(page.records);
        target.cursor = page.nextCursor;
        setLoadError(null);
      } catch (error) {
        setLoadError(error);
      } finally {
        target.loading = false;
        setVersion((v) => v + 1);
      }
    },
    [api],
  );

  // A new filter starts a new session with the newest matching page.
  useEffect(() => {
    const fresh = newSession();
    pending.current = [];
    setSession(fresh);
    setSelectedRow(null);
    setUnseen(0);
    if (listRef.current) listRef.current.scrollTop = 0;
    void loadOlder(fresh);
  }, [filter, loadOlder]);

  const flush = useCallback(() => {
    frame.current = 0;
    const batch = pending.current;
    pending.current = [];
    noteFacets(session, batch);
    const added = session.buffer.addLive(batch);
    if (!added) return;
    const list = listRef.current;
    // Reading older rows: keep them still while new ones arrive above.
    if (list && list.scrollTop > 0) {
      scrollAdjust.current += added * ROW_HEIGHT;
      setUnseen((n) => n + added);
    }
    setSelectedRow((row) => (row === null ? null : row + added));
    setVersion((v) => v + 1);
  }, [session]);

  /** Records newer than the newest one shown (oldest first), at most MAX_CATCH_UP_PAGES pages. */
  const missedRecords = async (buffer: LogBuffer, filter: AuditFilter): Promise<AuditRecord[]> => {
    const missed: AuditRecord[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < MAX_CATCH_UP_PAGES; pages++) {
      const page = await api.queryAudit({ filter: compact(filter), limit: PAGE_SIZE, ...(cursor && { cursor }) });
      const known = page.records.findIndex((record) => buffer.has(record.id));
      missed.push(...(known === -1 ? page.records : page.records.slice(0, known)));
      if (known !== -1 || page.nextCursor === null) break;
      cursor = page.nextCursor;
    }
    return missed.reverse();
  };

  useGatewayEvents((event) => {
    if (event.type === 'audit') {
      const current = filterRef.current;
      if (!isEmptyAuditFilter(current) && !matchesAuditFilter(event.record, current, searchText)) return;
      pending.current.push(event.record);
      if (!frame.current) frame.current = requestAnimationFrame(flush);
    } else if (event.type === 'stream' && event.state === 'open' && session.cursor !== undefined) {
      // Back after an outage, or after the gateway ended a stream this window could not keep up
      // with: pull in everything that arrived meanwhile, page by page back to a record already
      // shown, so the log has no gap (one page was not enough after a burst).
      void missedRecords(session.buffer, filterRef.current).then((missed) => {
        pending.current.push(...missed);
        if (!frame.current) frame.current = requestAnimationFrame(flush);
      }, setLoadError);
    }
  });
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  useLayoutEffect(() => {
    if (scrollAdjust.current && listRef.current) {
      listRef.current.scrollTop += scrollAdjust.current;
      scrollAdjust.current = 0;
    }
  });

  const count = session.buffer.size;
  const select = (row: number | null) => {
    setSelectedRow(row);
    setSelected(row === null ? null : (session.buffer.at(row) ?? null));
    if (row !== null) scrollIntoView(listRef.current, row);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (!count) return;
    const page = Math.max(1, Math.floor((listRef.current?.clientHeight ?? 300) / ROW_HEIGHT) - 1);
    const row = selectedRow ?? -1;
    const moves: Record<string, number> = {
      ArrowDown: row + 1,
      ArrowUp: row - 1,
      PageDown: row + page,
      PageUp: row - page,
      Home: 0,
      End: count - 1,
    };
    if (event.key in moves) {
      event.preventDefault();
      select(Math.min(count - 1, Math.max(0, moves[event.key]!)));
    } else if (event.key === 'Escape') {
      select(null);
    } else if (event.key === 'Enter' && selected) {
      document.getElementById('log-detail-title')?.focus();
    }
  };

  const jumpToNewest = () => {
    if (listRef.current) listRef.current.scrollTop = 0;
    setUnseen(0);
  };

  const options = useMemo(() => {
    const serverNames = new Set([...(servers.data?.map((s) => s.name) ?? []), ...session.facets.servers]);
    const clientIds = new Set([...(clients.data?.map((c) => c.id) ?? []), ...session.facets.clients]);
    return {
      servers: [...serverNames].sort(),
      tools: [...session.facets.tools].sort(),
      clients: [...clientIds].sort(),
    };
    // The facet sets grow in place; `count` changing is what says they may have.
  }, [servers.data, clients.data, session, count]);

  const setField = (key: keyof AuditFilter, value: string) => setFilter((f) => ({ ...f, [key]: value || undefined }));
  const filtered = !isEmptyAuditFilter(filter) || text !== '';

  return (
    <section className={`view view-log${selected ? ' has-detail' : ''}`} aria-labelledby="log-title">
      <header className="view-header view-header-row">
        <div>
          <h1 id="log-title">Live log</h1>
          <p className="view-lede">Every tool call that passes through Gatehouse, as it happens.</p>
        </div>
        <span className={`live live-${stream}`} role="status">
          {stream === 'open' ? 'Live' : stream === 'reconnecting' ? 'Reconnecting…' : 'Connecting…'}
        </span>
      </header>

      <form className="log-filters" role="search" aria-label="Filter the log" onSubmit={(e) => e.preventDefault()}>
        <FilterSelect
          label="Server"
          value={filter.server}
          options={options.servers}
          onChange={(v) => setField('server', v)}
        />
        <FilterSelect label="Tool" value={filter.tool} options={options.tools} onChange={(v) => setField('tool', v)} />
        <FilterSelect
          label="Outcome"
          value={filter.outcome}
          options={Object.keys(OUTCOME_LABELS)}
          labels={OUTCOME_LABELS}
          onChange={(v) => setField('outcome', v)}
        />
        <FilterSelect
          label="Client"
          value={filter.client}
          options={options.clients}
          onChange={(v) => setField('client', v)}
        />
        <label className="field field-grow">
          <span>Search</span>
          <input
            type="search"
            value={text}
            placeholder="Text in names, parameters, responses"
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        {filtered && (
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              setText('');
              setFilter({});
            }}
          >
            Clear
          </button>
        )}
      </form>

      <ErrorNote error={loadError} onRetry={() => void loadOlder(session)} />

      <div className="log-layout">
        <div className="log-table">
          <div className="log-row log-head" aria-hidden="true">
            <span>Time</span>
            <span>Server</span>
            <span>Tool</span>
            <span>Client</span>
            <span>Outcome</span>
            <span className="num">Latency</span>
          </div>
          {unseen > 0 && (
            <button type="button" className="log-unseen" onClick={jumpToNewest}>
              {unseen.toLocaleString()} new ↑
            </button>
          )}
          {count === 0 && session.cursor !== undefined ? (
            <div className="log-empty">
              {filtered
                ? 'No calls match these filters.'
                : 'No tool calls yet. Connect an AI client and use a tool; calls appear here as they happen.'}
            </div>
          ) : (
            <VirtualList
              scrollRef={listRef}
              label="Tool calls, newest first"
              count={count}
              rowHeight={ROW_HEIGHT}
              activeDescendant={selectedRow === null ? undefined : `log-row-${selectedRow}`}
              onKeyDown={onKeyDown}
              onNearEnd={() => void loadOlder(session)}
              renderRow={(row) => {
                const record = session.buffer.at(row)!;
                return (
                  <div
                    key={record.id}
                    id={`log-row-${row}`}
                    role="option"
                    aria-selected={row === selectedRow}
                    className={`log-row${row === selectedRow ? ' selected' : ''}`}
                    data-record-id={record.id}
                    onClick={() => select(row)}
                  >
                    <span className="mono">{formatClock(record.startedAt)}</span>
                    <span className="ellipsis">{record.server}</span>
                    <span className="ellipsis strong" title={record.method}>
                      {record.name ?? record.method}
                    </span>
                    <span className="ellipsis muted">{auditClientLabel(record) ?? '—'}</span>
                    <span>
                      <OutcomeBadge outcome={record.outcome} />
                    </span>
                    <span className="num mono">{formatLatency(record.latency?.totalMs)}</span>
                  </div>
                );
              }}
            />
          )}
          <div className="log-footer" aria-live="polite">
            {count.toLocaleString()} {count === 1 ? 'call' : 'calls'}
            {filtered ? ' match' : ''}
            {session.cursor ? ' · scroll down for older' : ''}
            {session.buffer.droppedOlder ? ' · oldest rows dropped from view' : ''}
          </div>
        </div>
        {selected && <LogDetail record={selected} onClose={() => select(null)} />}
      </div>
    </section>
  );
}

function FilterSelect(props: {
  label: string;
  value: string | undefined;
  options: string[];
  labels?: Record<string, string>;
  onChange(value: string): void;
}) {
  return (
    <label className="field">
      <span>{props.label}</span>
      <select value={props.value ?? ''} onChange={(e) => props.onChange(e.target.value)}>
        <option value="">All</option>
        {props.options.map((option) => (
          <option key={option} value={option}>
            {props.labels?.[option] ?? option}
          </option>
        ))}
      </select>
    </label>
  );
}

function compact(filter: AuditFilter): AuditFilter | undefined {
  const entries = Object.entries(filter).filter(([, v]) => v !== undefined && v !== '');
  return entries.length ? (Object.fromEntries(entries) as AuditFilter) : undefined;
}

function scrollIntoView(list: HTMLDivElement | null, row: number): void {
  if (!list) return;
  const top = row * ROW_HEIGHT;
  if (top < list.scrollTop) list.scrollTop = top;
  else if (top + ROW_HEIGHT > list.scrollTop + list.clientHeight) list.scrollTop = top + ROW_HEIGHT - list.clientHeight;
}
