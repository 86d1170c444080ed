import { useState, type FormEvent } from 'react';
import type { CredentialInfo } from '../../src-main/core/api/contract.ts';
import { useApi, useResource } from '../api-context.tsx';
import { Badge, ErrorNote } from '../components/controls.tsx';
import { errorMessage } from '../format.ts';

/**
 * API keys and other secrets the servers need: the org's (shown as provided or missing) and the
 * ones the user enters here. Values only ever go in; the core never sends one back.
 */
export function CredentialsPanel() {
  const credentials = useResource(['servers', 'status'], (api) => api.listCredentials());
  if (!credentials.data || credentials.data.length === 0) {
    return credentials.error ? <ErrorNote error={credentials.error} onRetry={credentials.reload} /> : null;
  }
  return (
    <section className="card credentials" aria-labelledby="credentials-title">
      <h2 id="credentials-title">Credentials</h2>
      <p className="muted">
        Keys and tokens the servers need. Gatehouse keeps them in your system&apos;s secret store and sends each only to
        its own server.
      </p>
      <ErrorNote error={credentials.error} onRetry={credentials.reload} />
      <ul className="server-list" aria-label="Credentials">
        {credentials.data.map((credential) => (
          <CredentialRow
            key={`${credential.server}\n${credential.name}`}
            credential={credential}
            onChanged={credentials.reload}
          />
        ))}
      </ul>
    </section>
  );
}

function CredentialRow(props: { credential: CredentialInfo; onChanged(): void }) {
  const { credential } = props;
  const api = useApi();
  const [value, setValue] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const where = credential.target === 'header' ? `header ${credential.name}` : `variable ${credential.name}`;

  const run = async (change: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await change();
      setValue('');
    } catch (failure) {
      setError(errorMessage(failure));
    } finally {
      setBusy(false);
      props.onChanged();
    }
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    if (value) void run(() => api.setCredential({ server: credential.server, name: credential.name, value }));
  };

  return (
    <li className="server-row" data-credential={`${credential.server}:${credential.name}`}>
      <div className="server-main">
        <div className="server-name-line">
          <span className="server-name">{credential.label}</span>
          <Badge tone="neutral">{credential.server}</Badge>
          <Badge tone={credential.set ? 'ok' : 'warn'}>{credential.set ? 'Set' : 'Missing'}</Badge>
        </div>
        <p className="muted">
          {credential.source === 'org' ? `Provided by your organisation (${where}).` : `Entered by you (${where}).`}
        </p>
        {credential.source === 'user' && (
          <form className="credential-form" onSubmit={save}>
            <input
              type="password"
              autoComplete="off"
              spellCheck={false}
              value={value}
              placeholder={credential.set ? 'Enter a new value to replace it' : `Paste your ${credential.label}`}
              aria-label={`${credential.label} for ${credential.server}`}
              onChange={(e) => setValue(e.target.value)}
            />
            <button type="submit" className="button button-primary button-small" disabled={busy || !value}>
              Save
            </button>
            {credential.set && (
              <button
                type="button"
                className="button button-quiet button-small"
                disabled={busy}
                onClick={() =>
                  void run(() => api.clearCredential({ server: credential.server, name: credential.name }))
                }
              >
                Clear
              </button>
            )}
          </form>
        )}
        {error && (
          <p className="server-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </li>
  );
}
