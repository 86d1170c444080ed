import type { Status } from '../../src-main/core/api/contract.ts';
import { Badge, ErrorNote } from '../components/controls.tsx';
import type { Tone } from '../components/controls.tsx';
import { useSignIn } from '../components/use-sign-in.ts';
import { formatAge } from '../format.ts';

const POLICY: Record<Status['policy']['state'], { label: string; tone: Tone }> = {
  ok: { label: 'Up to date', tone: 'ok' },
  stale: { label: 'Out of date', tone: 'warn' },
  none: { label: 'No policy', tone: 'neutral' },
};

export function AccountView(props: { status: Status | undefined; onOpenSettings(): void }) {
  const { busy, error, authorizationUrl, signIn, signOut } = useSignIn();
  const status = props.status;

  if (!status) return null;
  const user = status.user;
  const policy = POLICY[status.policy.state];

  return (
    <section className="view" aria-labelledby="account-title">
      <header className="view-header">
        <h1 id="account-title">Account</h1>
        <p className="view-lede">Who Gatehouse acts for, and the policy your organization applies.</p>
      </header>
      <ErrorNote error={error} />

      {status.mode === 'personal' ? (
        <div className="card">
          <h2>Personal mode</h2>
          <p>Gatehouse is not connected to an organization: you manage your own servers and there is no sign-in.</p>
          <p>
            If your IT team gave you an address,{' '}
            <button type="button" className="button-link" onClick={props.onOpenSettings}>
              enter it in Settings
            </button>
            .
          </p>
        </div>
      ) : (
        <div className="card account-card">
          {user ? (
            <>
              <div className="account-head">
                <span className="avatar" aria-hidden="true">
                  {initials(user.name ?? user.email)}
                </span>
                <div>
                  <h2>{user.name ?? user.email}</h2>
                  {user.name && <p className="muted">{user.email}</p>}
                </div>
                <button type="button" className="button" onClick={() => void signOut()} disabled={busy}>
                  Sign out
                </button>
              </div>
              <dl className="facts">
                <dt>Organization</dt>
                <dd>{status.org?.name ?? '—'}</dd>
                <dt>Groups</dt>
                <dd>
                  <Chips values={user.groups} />
                </dd>
                <dt>Roles</dt>
                <dd>
                  <Chips values={user.roles} />
                </dd>
              </dl>
            </>
          ) : (
            <div className="account-head">
              <span className="avatar avatar-empty" aria-hidden="true">
                ?
              </span>
              <div>
                <h2>You are signed out</h2>
                <p className="muted">
                  Sign in with {status.org?.name ?? 'your organization'} so Gatehouse can apply its policy and reach its
                  servers as you.
                </p>
              </div>
              <button type="button" className="button button-primary" onClick={() => void signIn()} disabled={busy}>
                {busy ? 'Opening…' : 'Sign in'}
              </button>
            </div>
          )}
          {authorizationUrl && !user && (
            <p className="note note-info" role="status">
              Continue in your browser. If no browser opened,{' '}
              <a href={authorizationUrl} target="_blank" rel="noreferrer noopener">
                open the sign-in page
              </a>
              .
            </p>
          )}
        </div>
      )}

      {status.mode === 'org' && (
        <div className="card">
          <h2>Policy</h2>
          <dl className="facts">
            <dt>State</dt>
            <dd>
              <Badge tone={policy.tone}>{policy.label}</Badge>
            </dd>
            <dt>Version</dt>
            <dd className="mono">{status.policy.version ?? '—'}</dd>
            <dt>Last synced</dt>
            <dd>{status.policy.ageSeconds === null ? 'never' : formatAge(status.policy.ageSeconds)}</dd>
            {status.org?.issuer && (
              <>
                <dt>Identity provider</dt>
                <dd className="mono">{status.org.issuer}</dd>
              </>
            )}
          </dl>
          {status.policy.state === 'stale' && (
            <p className="note note-warn">
              Gatehouse could not refresh the policy recently. It keeps the last one it had until the org's limit, then
              blocks tool calls.
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function Chips(props: { values: string[] }) {
  if (props.values.length === 0) return <span className="muted">none</span>;
  return (
    <span className="chips">
      {props.values.map((value) => (
        <span key={value} className="chip">
          {value}
        </span>
      ))}
    </span>
  );
}

function initials(name: string): string {
  const parts = name
    .replace(/@.*/, '')
    .split(/[\s._-]+/)
    .filter(Boolean);
  return ((parts[0]?.[0] ?? '') + (parts[1]?.[0] ?? '')).toUpperCase() || '?';
}
