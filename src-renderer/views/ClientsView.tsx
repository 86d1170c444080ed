import { useEffect, useRef, useState } from 'react';
import type { ClientAction, ClientChange, ClientInfo, ClientState } from '../../src-main/core/api/contract.ts';
import { useApi, useResource } from '../api-context.tsx';
import { Badge, EmptyState, ErrorNote } from '../components/controls.tsx';
import type { Tone } from '../components/controls.tsx';
import { errorMessage } from '../format.ts';

const STATE: Record<ClientState, { label: string; tone: Tone }> = {
  connected: { label: 'Connected', tone: 'ok' },
  'not-connected': { label: 'Not connected', tone: 'neutral' },
  drifted: { label: 'Changed outside Gatehouse', tone: 'warn' },
  'not-installed': { label: 'Not installed', tone: 'neutral' },
};

type Pending = {
  client: ClientInfo;
  action: ClientAction;
  preview?: ClientChange;
  error?: string;
  applying?: boolean;
};

export function ClientsView() {
  const api = useApi();
  const clients = useResource(['clients'], (a) => a.listClients());
  const [pending, setPending] = useState<Pending | null>(null);
  const [message, setMessage] = useState<{ tone: Tone; text: string } | null>(null);

  const start = async (client: ClientInfo, action: ClientAction) => {
    setMessage(null);
    setPending({ client, action });
    try {
      const preview = await api.previewClientChange({ client: client.id, action });
      setPending({ client, action, preview });
    } catch (error) {
      setPending({ client, action, error: errorMessage(error) });
    }
  };

  const apply = async () => {
    if (!pending) return;
    setPending({ ...pending, applying: true });
    try {
      const input = { client: pending.client.id };
      const result = pending.action === 'connect' ? await api.connectClient(input) : await api.disconnectClient(input);
      setPending(null);
      const verb = pending.action === 'connect' ? 'connected to' : 'disconnected from';
      const text = [
        `${pending.client.displayName} is ${verb} Gatehouse.`,
        ...(result.warnings ?? []),
        result.reloadHint,
      ]
        .filter(Boolean)
        .join(' ');
      setMessage({ tone: 'ok', text });
    } catch (error) {
      setPending({ ...pending, applying: false, error: errorMessage(error) });
    } finally {
      clients.reload();
    }
  };

  const installed = clients.data?.filter((c) => c.installed) ?? [];
  const missing = clients.data?.filter((c) => !c.installed) ?? [];
  const drifted = installed.filter((c) => c.state === 'drifted');

  return (
    <section className="view" aria-labelledby="clients-title">
      <header className="view-header">
        <h1 id="clients-title">AI clients</h1>
        <p className="view-lede">
          Connect the AI apps on this computer to Gatehouse. You see every change to their config files before it is
          written.
        </p>
      </header>
      <ErrorNote error={clients.error} onRetry={clients.reload} />
      {message && (
        <div className={`note note-${message.tone}`} role="status">
          {message.text}
        </div>
      )}
      {drifted.length > 0 && (
        <div className="note note-warn" role="alert">
          {drifted.length === 1 ? `${drifted[0]!.displayName}'s` : `${drifted.length} clients'`} Gatehouse entry was
          changed outside Gatehouse. Reconnect to restore it, or disconnect to remove it.
        </div>
      )}
      {clients.data && clients.data.length === 0 && <EmptyState title="No AI clients found on this computer" />}
      <ul className="client-list" aria-label="Detected AI clients">
        {installed.map((client) => (
          <ClientRow key={client.id} client={client} onAction={(action) => void start(client, action)} />
        ))}
      </ul>
      {missing.length > 0 && (
        <details className="not-installed">
          <summary>
            {missing.length} supported client{missing.length === 1 ? '' : 's'} not installed
          </summary>
          <p className="muted">{missing.map((c) => c.displayName).join(', ')}</p>
        </details>
      )}
      {pending && <ChangeDialog pending={pending} onCancel={() => setPending(null)} onApply={() => void apply()} />}
    </section>
  );
}

function ClientRow(props: { client: ClientInfo; onAction(action: ClientAction): void }) {
  const { client } = props;
  const state = STATE[client.state];
  return (
    <li className="client-row" data-client={client.id} data-state={client.state}>
      <div className="client-main">
        <div className="client-name-line">
          <span className="client-name">{client.displayName}</span>
          <Badge tone={state.tone}>{state.label}</Badge>
        </div>
        <p className="mono muted path">{client.file}</p>
        {client.problems.map((problem) => (
          <p key={problem} className="text-warn">
            {problem}
          </p>
        ))}
      </div>
      <div className="client-actions">
        {client.state !== 'connected' && (
          <button type="button" className="button button-primary" onClick={() => props.onAction('connect')}>
            {client.state === 'drifted' ? 'Reconnect' : 'Connect'}
          </button>
        )}
        {(client.state === 'connected' || client.state === 'drifted') && (
          <button type="button" className="button" onClick={() => props.onAction('disconnect')}>
            Disconnect
          </button>
        )}
      </div>
    </li>
  );
}

function ChangeDialog(props: { pending: Pending; onCancel(): void; onApply(): void }) {
  const { pending } = props;
  const dialog = useRef<HTMLDivElement>(null);
  const previous = useRef<Element | null>(null);
  useEffect(() => {
    previous.current = document.activeElement;
    dialog.current?.focus();
    return () => (previous.current as HTMLElement | null)?.focus?.();
  }, []);
  const verb = pending.action === 'connect' ? 'Connect' : 'Disconnect';
  const preview = pending.preview;
  const nothingToDo =
    preview && (preview.changed === false || preview.action === 'nothing-to-do' || preview.diff.trim() === '');
  const files = preview ? (preview.files ?? (preview.file ? [preview.file] : [])) : [];
  return (
    <div className="dialog-backdrop" onClick={(e) => e.target === e.currentTarget && props.onCancel()}>
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-labelledby="change-title"
        tabIndex={-1}
        ref={dialog}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.onCancel();
          if (e.key === 'Tab') trapFocus(e, dialog.current);
        }}
      >
        <h2 id="change-title">
          {verb} {pending.client.displayName}
        </h2>
        {preview && !nothingToDo && (
          <p className="muted">
            Gatehouse will change{' '}
            {files.map((file, index) => (
              <span key={file}>
                {index > 0 && ', '}
                <span className="mono">{file}</span>
              </span>
            ))}
            :
          </p>
        )}
        {preview?.warnings?.map((warning) => (
          <p key={warning} className="text-warn">
            {warning}
          </p>
        ))}
        {!pending.preview && !pending.error && <p className="muted">Preparing the change…</p>}
        {pending.preview &&
          (nothingToDo ? (
            <p>The file already says this; nothing to change.</p>
          ) : (
            <DiffView diff={pending.preview.diff} />
          ))}
        {pending.error && (
          <p className="text-bad" role="alert">
            {pending.error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button" onClick={props.onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={props.onApply}
            disabled={!pending.preview || nothingToDo || pending.applying}
          >
            {pending.applying ? 'Writing…' : `${verb} and write file`}
          </button>
        </div>
      </div>
    </div>
  );
}

function DiffView(props: { diff: string }) {
  return (
    <pre className="diff" aria-label="Changes to the config file" tabIndex={0}>
      {props.diff
        .replace(/\n$/, '')
        .split('\n')
        .map((line, index) => {
          const kind =
            line.startsWith('+++') || line.startsWith('---')
              ? 'file'
              : line.startsWith('@@')
                ? 'hunk'
                : line[0] === '+'
                  ? 'add'
                  : line[0] === '-'
                    ? 'del'
                    : 'same';
          return (
            <span key={index} className={`diff-line diff-${kind}`}>
              {line + '\n'}
            </span>
          );
        })}
    </pre>
  );
}

function trapFocus(event: React.KeyboardEvent, container: HTMLElement | null): void {
  if (!container) return;
  const focusable = [
    ...container.querySelectorAll<HTMLElement>('button:not([disabled]), [tabindex="0"], a[href], input, select'),
  ];
  if (focusable.length === 0) return;
  const first = focusable[0]!;
  const last = focusable[focusable.length - 1]!;
  if (event.shiftKey && document.activeElement === first) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && document.activeElement === last) {
    event.preventDefault();
    first.focus();
  }
}
