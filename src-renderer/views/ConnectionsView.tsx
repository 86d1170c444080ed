import { useState } from 'react';
import type { ConnectionInfo } from '../../src-main/core/api/contract.ts';
import { useApi, useResource } from '../api-context.tsx';
import { Badge, EmptyState, ErrorNote } from '../components/controls.tsx';
import type { Tone } from '../components/controls.tsx';
import { errorMessage, formatDateTime } from '../format.ts';

const STATE: Record<ConnectionInfo['state'], { label: string; tone: Tone }> = {
  connected: { label: 'Connected', tone: 'ok' },
  'needs-consent': { label: 'Needs sign-in', tone: 'warn' },
  connecting: { label: 'Waiting for the browser', tone: 'info' },
  error: { label: 'Problem', tone: 'bad' },
};

/**
 * Remote servers the user signs in to (OAuth): connected as whom, until when, and the buttons to
 * connect, reconnect and disconnect. Tokens never reach the window; only who and when.
 */
export function ConnectionsView() {
  const api = useApi();
  const connections = useResource(['servers'], (a) => a.listConnections());
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ tone: Tone; text: string; link?: string } | null>(null);

  const connect = async (server: string) => {
    setBusy(server);
    setMessage(null);
    try {
      const { authorizationUrl } = await api.connectServer({ server });
      setMessage({
        tone: 'info',
        text: `Sign in to ${server} in your browser. If no browser opened, use this link:`,
        link: authorizationUrl,
      });
    } catch (error) {
      setMessage({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(null);
      connections.reload();
    }
  };

  const disconnect = async (server: string) => {
    setBusy(server);
    setMessage(null);
    try {
      const { revoked } = await api.disconnectServer({ server });
      setMessage({
        tone: 'ok',
        text: `${server} is disconnected${revoked ? ' and its tokens were revoked' : ''}. Calls to it ask you to connect again.`,
      });
    } catch (error) {
      setMessage({ tone: 'bad', text: errorMessage(error) });
    } finally {
      setBusy(null);
      connections.reload();
    }
  };

  return (
    <section className="view" aria-labelledby="connections-title">
      <header className="view-header">
        <h1 id="connections-title">Connections</h1>
        <p className="view-lede">
          Remote servers that ask you to sign in. Gatehouse keeps your tokens in its secret store and renews them; AI
          clients never see them.
        </p>
      </header>
      <ErrorNote error={connections.error} onRetry={connections.reload} />
      {message && (
        <div className={`note note-${message.tone}`} role="status">
          {message.text}{' '}
          {message.link && (
            <a href={message.link} target="_blank" rel="noreferrer" className="mono">
              {message.link}
            </a>
          )}
        </div>
      )}
      {connections.data && connections.data.length === 0 && (
        <EmptyState title="No server has asked you to sign in">
          When a remote server needs your sign-in, it shows up here with a Connect button.
        </EmptyState>
      )}
      <ul className="client-list" aria-label="Remote server sign-ins">
        {connections.data?.map((c) => (
          <ConnectionRow
            key={c.server}
            connection={c}
            busy={busy === c.server}
            onConnect={() => void connect(c.server)}
            onDisconnect={() => void disconnect(c.server)}
          />
        ))}
      </ul>
    </section>
  );
}

function ConnectionRow(props: { connection: ConnectionInfo; busy: boolean; onConnect(): void; onDisconnect(): void }) {
  const c = props.connection;
  const state = STATE[c.state];
  const connected = c.connectedAt !== null;
  return (
    <li className="client-row" data-server={c.server} data-state={c.state}>
      <div className="client-main">
        <div className="client-name-line">
          <span className="client-name">{c.server}</span>
          <Badge tone={state.tone}>{state.label}</Badge>
        </div>
        {connected && <p className="muted">Signed in as {c.user ?? 'unknown'}</p>}
        {c.expiresAt && (
          <p className="muted">
            Token valid until {formatDateTime(c.expiresAt)}
            {c.lastRefreshAt ? `, last renewed ${formatDateTime(c.lastRefreshAt)}` : ''}
          </p>
        )}
        {c.authorizationServer && <p className="mono muted path">{c.authorizationServer}</p>}
        {c.error && <p className="text-bad">{c.error}</p>}
      </div>
      <div className="client-actions">
        <button type="button" className="button button-primary" disabled={props.busy} onClick={props.onConnect}>
          {connected ? 'Reconnect' : 'Connect'}
        </button>
        {connected && (
          <button type="button" className="button" disabled={props.busy} onClick={props.onDisconnect}>
            Disconnect
          </button>
        )}
      </div>
    </li>
  );
}
