import { useEffect, useRef, useState } from 'react';
import type { Status } from '../src-main/core/api/contract.ts';
import { useApi, useResource, useStreamState } from './api-context.tsx';
import { Logo } from './components/Logo.tsx';
import { SignInAgainBanner } from './components/SignInAgainBanner.tsx';
import { formatAge } from './format.ts';
import { AccountView } from './views/AccountView.tsx';
import { ClientsView } from './views/ClientsView.tsx';
import { ConnectionsView } from './views/ConnectionsView.tsx';
import { LogView } from './views/LogView.tsx';
import { MetricsView } from './views/MetricsView.tsx';
import { ServersView } from './views/ServersView.tsx';
import { SettingsView } from './views/SettingsView.tsx';
import { ToolsView } from './views/ToolsView.tsx';

const VIEWS = [
  { id: 'servers', label: 'Servers' },
  { id: 'tools', label: 'Tools' },
  { id: 'log', label: 'Live log' },
  { id: 'metrics', label: 'Metrics' },
  { id: 'clients', label: 'Clients' },
  { id: 'connections', label: 'Connections' },
  { id: 'account', label: 'Account' },
  { id: 'settings', label: 'Settings' },
] as const;
type ViewId = (typeof VIEWS)[number]['id'];

function viewFromHash(): ViewId {
  const id = location.hash.replace(/^#\/?/, '');
  return VIEWS.some((v) => v.id === id) ? (id as ViewId) : 'servers';
}

export function App() {
  const api = useApi();
  const status = useResource(['status'], (a) => a.getStatus());
  const [view, setView] = useState<ViewId>(viewFromHash);
  const [toolsServer, setToolsServer] = useState<string | null>(null);
  const main = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  useEffect(() => {
    const onHash = () => setView(viewFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    if (location.hash !== `#/${view}`) history.replaceState(null, '', `#/${view}`);
    // Moving to a view moves keyboard focus to its heading, as a page change would.
    if (!firstRender.current) main.current?.querySelector<HTMLElement>('h1')?.focus();
    firstRender.current = false;
  }, [view]);

  if ((status.error as { code?: string } | undefined)?.code === 'unauthorized') return <NeedsToken />;

  return (
    <div className="app">
      <a className="skip-link" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <nav className="sidebar" aria-label="Gatehouse">
        <div className="brand">
          <Logo />
          <span>Gatehouse</span>
        </div>
        <ul className="nav">
          {VIEWS.map((v) => (
            <li key={v.id}>
              <button
                type="button"
                className="nav-item"
                aria-current={view === v.id ? 'page' : undefined}
                aria-label={v.label}
                title={v.label}
                onClick={() => setView(v.id)}
              >
                <NavIcon id={v.id} />
                <span>{v.label}</span>
              </button>
            </li>
          ))}
        </ul>
        <StatusSummary status={status.data} />
      </nav>
      <main className="content" id="main" ref={main} tabIndex={-1}>
        <Banners status={status.data} onResume={() => void api.setPaused({ paused: false })} />
        <AppBanners status={status.data} onOpenMetrics={() => setView('metrics')} />
        <SignInAgainBanner status={status.data} />
        {status.error && !status.data && (
          <div className="note note-bad" role="alert">
            {status.error.message}
          </div>
        )}
        {view === 'servers' && (
          <ServersView
            onShowTools={(server) => {
              setToolsServer(server);
              setView('tools');
            }}
          />
        )}
        {view === 'tools' && <ToolsView server={toolsServer} onServerChange={setToolsServer} />}
        {view === 'log' && <LogView />}
        {view === 'metrics' && <MetricsView />}
        {view === 'clients' && <ClientsView />}
        {view === 'connections' && <ConnectionsView />}
        {view === 'account' && <AccountView status={status.data} onOpenSettings={() => setView('settings')} />}
        {view === 'settings' && <SettingsView status={status.data} />}
      </main>
    </div>
  );
}

function Banners(props: { status: Status | undefined; onResume(): void }) {
  const stream = useStreamState();
  const s = props.status;
  return (
    <div className="banners">
      {stream === 'reconnecting' && (
        <div className="banner banner-bad" role="alert">
          Lost the connection to Gatehouse. Reconnecting…
        </div>
      )}
      {s?.paused && (
        <div className="banner banner-warn" role="status">
          Tool calls are paused: AI clients get an error until you resume.
          <button type="button" className="button button-small" onClick={props.onResume}>
            Resume
          </button>
        </div>
      )}
      {s && s.health.state !== 'ok' && (
        <div className={`banner ${s.health.state === 'error' ? 'banner-bad' : 'banner-warn'}`} role="alert">
          {s.health.message ??
            (s.health.state === 'error' ? 'Gatehouse has a problem.' : 'Some servers are not working.')}
        </div>
      )}
      {s?.policy.state === 'stale' && (
        <div className="banner banner-warn" role="status">
          The org policy is out of date (last synced{' '}
          {s.policy.ageSeconds === null ? 'never' : formatAge(s.policy.ageSeconds)}).
        </div>
      )}
    </div>
  );
}

/** Audit trail warnings (before anything would be dropped) and the demo org offer. */
function AppBanners(props: { status: Status | undefined; onOpenMetrics(): void }) {
  const api = useApi();
  const s = props.status;
  const [demoError, setDemoError] = useState<string | null>(null);
  const demo = (start: boolean) => {
    setDemoError(null);
    (start ? api.startDemo() : api.stopDemo()).catch((error: Error) => setDemoError(error.message));
  };
  return (
    <div className="banners">
      {s?.audit?.warnings.map((warning) => (
        <div key={warning} className="banner banner-warn" role="alert">
          {warning}
          <button type="button" className="button button-small" onClick={props.onOpenMetrics}>
            Details
          </button>
        </div>
      ))}
      {s?.demo?.available && s.mode === 'personal' && !s.demo.active && (
        <div className="banner" role="status">
          No organisation is set up on this computer.
          <button type="button" className="button button-small" onClick={() => demo(true)}>
            Try the demo org
          </button>
        </div>
      )}
      {s?.demo?.active && (
        <div className="banner" role="status">
          You are trying the demo org: a sample IdP, policy and servers on this computer.
          <button type="button" className="button button-small" onClick={() => demo(false)}>
            Leave the demo
          </button>
        </div>
      )}
      {demoError && (
        <div className="banner banner-bad" role="alert">
          {demoError}
        </div>
      )}
    </div>
  );
}

function StatusSummary(props: { status: Status | undefined }) {
  const s = props.status;
  if (!s) return <div className="status-summary muted">Connecting…</div>;
  const tone =
    s.health.state === 'error'
      ? 'bad'
      : s.paused || s.health.state === 'degraded' || s.policy.state === 'stale'
        ? 'warn'
        : 'ok';
  const line = s.paused
    ? 'Paused'
    : s.health.state === 'ok'
      ? 'Running'
      : s.health.state === 'degraded'
        ? 'Degraded'
        : 'Error';
  return (
    <div className="status-summary" aria-label="Gateway status">
      <p className="status-line">
        <span className={`dot dot-${tone}`} aria-hidden="true" /> {line} on port {s.port}
      </p>
      <p className="muted ellipsis" title={s.user?.email}>
        {s.mode === 'personal' ? 'Personal mode' : s.user ? s.user.email : 'Signed out'}
      </p>
    </div>
  );
}

export function NeedsToken() {
  return (
    <main className="gate-screen">
      <Logo size={48} />
      <h1>Open Gatehouse from its link</h1>
      <p>
        This window needs the link with the access token that <code>gatehouse serve</code> (or <code>npm start</code>)
        printed, like <code>http://127.0.0.1:7391/ui/#token=…</code>. The token keeps other web pages and programs out.
      </p>
    </main>
  );
}

function NavIcon(props: { id: ViewId }) {
  const paths: Record<ViewId, string> = {
    servers: 'M2 3h12v4H2zM2 9h12v4H2zM4 5h1M4 11h1',
    tools: 'M10 2a4 4 0 0 0-3.7 5.4L2 11.7 4.3 14l4.3-4.3A4 4 0 0 0 14 6l-2.5 2.5-2-2L12 4a4 4 0 0 0-2-2z',
    log: 'M2 3h12M2 6.5h12M2 10h8M2 13.5h10',
    metrics: 'M2 14h12M4 12V8M7 12V4M10 12V7M13 12V2',
    clients: 'M2 3h12v8H2zM5 14h6M8 11v3',
    connections: 'M6.5 9.5l3-3M7 4.5l1-1a2.8 2.8 0 0 1 4 4l-1 1M9 11.5l-1 1a2.8 2.8 0 0 1-4-4l1-1',
    account: 'M8 8a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM2.5 14.5c.8-2.8 3-4 5.5-4s4.7 1.2 5.5 4',
    settings:
      'M8 10.5a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5zM8 1v2M8 13v2M1 8h2M13 8h2M3 3l1.5 1.5M11.5 11.5 13 13M3 13l1.5-1.5M11.5 4.5 13 3',
  };
  return (
    <svg className="nav-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
      <path
        d={paths[props.id]}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.4"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
