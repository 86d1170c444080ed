import { useState } from 'react';
import type { ServerInfo, ServerState } from '../../src-main/core/api/contract.ts';
import { useApi, useResource } from '../api-context.tsx';
import { Badge, EmptyState, ErrorNote, StateDot, Switch } from '../components/controls.tsx';
import type { Tone } from '../components/controls.tsx';
import { errorMessage } from '../format.ts';
import { CredentialsPanel } from './CredentialsPanel.tsx';

const STATE_LABEL: Record<ServerState, { label: string; tone: Tone }> = {
  connecting: { label: 'Connecting', tone: 'info' },
  ready: { label: 'Ready', tone: 'ok' },
  error: { label: 'Error', tone: 'bad' },
  disabled: { label: 'Off', tone: 'neutral' },
  denied: { label: 'Blocked by policy', tone: 'warn' },
};

export function ServersView(props: { onShowTools(server: string): void }) {
  const servers = useResource(['servers'], (api) => api.listServers());
  const api = useApi();
  const [pending, setPending] = useState<string | null>(null);
  const [toggleError, setToggleError] = useState<{ server: string; message: string } | null>(null);

  const toggle = async (server: ServerInfo, enabled: boolean) => {
    setPending(server.name);
    setToggleError(null);
    try {
      await api.setServerEnabled({ name: server.name, enabled });
    } catch (error) {
      setToggleError({ server: server.name, message: errorMessage(error) });
    } finally {
      setPending(null);
      servers.reload();
    }
  };

  return (
    <section className="view" aria-labelledby="servers-title">
      <header className="view-header">
        <h1 id="servers-title">Servers</h1>
        <p className="view-lede">
          The MCP servers behind Gatehouse. Every AI client you connect sees the ones that are on.
        </p>
      </header>
      <ErrorNote error={servers.error} onRetry={servers.reload} />
      {servers.data && servers.data.length === 0 && (
        <EmptyState title="No servers yet">
          Add servers to <code>config.json</code> in the data folder (the <code>mcpServers</code> shape Claude Desktop
          and Cursor use), or ask your IT team to publish them in the org policy.
        </EmptyState>
      )}
      {servers.data && servers.data.length > 0 && (
        <ul className="server-list" aria-label="Servers">
          {servers.data.map((server) => {
            const state = STATE_LABEL[server.state];
            const switchTitle = server.lockedByPolicy
              ? `Locked by policy${server.lockReason ? `: ${server.lockReason}` : ''}`
              : undefined;
            return (
              <li key={server.name} className="server-row" data-server={server.name} data-state={server.state}>
                <div className="server-main">
                  <div className="server-name-line">
                    <span className="server-name">{server.name}</span>
                    <Badge tone="neutral">{server.transport}</Badge>
                    {server.lockedByPolicy && (
                      <Badge tone="info" title={server.lockReason}>
                        <LockIcon /> Locked by policy
                      </Badge>
                    )}
                  </div>
                  <div className="server-meta">
                    <span className="server-state">
                      <StateDot tone={state.tone} /> {state.label}
                    </span>
                    <span aria-hidden="true">·</span>
                    <button
                      type="button"
                      className="button-link"
                      onClick={() => props.onShowTools(server.name)}
                      disabled={server.toolCount === null}
                    >
                      {server.toolCount === null
                        ? 'tools unknown'
                        : `${server.toolCount} tool${server.toolCount === 1 ? '' : 's'}`}
                    </button>
                  </div>
                  {server.lockedByPolicy && server.lockReason && <p className="server-reason">{server.lockReason}</p>}
                  {server.lastError && <p className="server-error">{server.lastError}</p>}
                  {toggleError?.server === server.name && (
                    <p className="server-error" role="alert">
                      {toggleError.message}
                    </p>
                  )}
                </div>
                <Switch
                  checked={server.enabled}
                  label={`${server.name} ${server.enabled ? 'on' : 'off'}`}
                  disabled={server.lockedByPolicy || pending === server.name}
                  {...(switchTitle && { title: switchTitle })}
                  onChange={(enabled) => void toggle(server, enabled)}
                />
              </li>
            );
          })}
        </ul>
      )}
      <CredentialsPanel />
    </section>
  );
}

function LockIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" width="12" height="12" aria-hidden="true">
      <path
        d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2h.5a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h.5zm1.5 0h4V5a2 2 0 1 0-4 0v2z"
        fill="currentColor"
      />
    </svg>
  );
}
