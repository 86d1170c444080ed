import { useEffect, useState } from 'react';
import type { Status } from '../../src-main/core/api/contract.ts';
import { useApi, useResource } from '../api-context.tsx';
import { CopyButton, ErrorNote, Switch } from '../components/controls.tsx';
import { errorMessage } from '../format.ts';
import { applyTheme, loadTheme } from '../theme.ts';
import type { ThemeChoice } from '../theme.ts';

export function SettingsView(props: { status: Status | undefined }) {
  const api = useApi();
  const settings = useResource(['settings'], (a) => a.getSettings());
  const [orgUrl, setOrgUrl] = useState('');
  const [retention, setRetention] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [theme, setTheme] = useState<ThemeChoice>(loadTheme);
  const [pauseError, setPauseError] = useState<unknown>(null);

  useEffect(() => {
    if (!settings.data) return;
    setOrgUrl(settings.data.orgUrl ?? '');
    setRetention(String(settings.data.auditRetentionDays));
  }, [settings.data]);

  const save = async (event: React.FormEvent) => {
    event.preventDefault();
    setSaved(null);
    setSaveError(null);
    try {
      await api.setSettings({
        ...(!settings.data?.orgUrlManaged && { orgUrl: orgUrl.trim() === '' ? null : orgUrl.trim() }),
        // A retention the org policy sets is not the user's to change (the core refuses it too).
        ...(!settings.data?.auditRetentionManaged && { auditRetentionDays: Number(retention) }),
      });
      setSaved('Saved.');
    } catch (error) {
      setSaveError(errorMessage(error));
    }
  };

  const setPaused = async (paused: boolean) => {
    setPauseError(null);
    try {
      await api.setPaused({ paused });
    } catch (error) {
      setPauseError(error);
    }
  };

  const status = props.status;
  return (
    <section className="view" aria-labelledby="settings-title">
      <header className="view-header">
        <h1 id="settings-title">Settings</h1>
      </header>

      {status && (
        <div className="card">
          <h2>Gateway</h2>
          <dl className="facts">
            <dt>Endpoint</dt>
            <dd className="endpoint">
              <span className="mono">{status.endpoint}</span>
              <CopyButton text={() => status.endpoint} label="Copy" className="button button-small" />
            </dd>
            <dt>Version</dt>
            <dd className="mono">{status.version}</dd>
          </dl>
          <div className="setting-row">
            <div>
              <p className="setting-name" id="pause-label">
                Pause tool calls
              </p>
              <p className="muted">While paused, AI clients get an error for every tool call.</p>
            </div>
            <Switch checked={status.paused} label="Pause tool calls" onChange={(paused) => void setPaused(paused)} />
          </div>
          <ErrorNote error={pauseError} />
        </div>
      )}

      <form className="card" onSubmit={(e) => void save(e)} aria-labelledby="org-settings-title">
        <h2 id="org-settings-title">Organization and audit log</h2>
        <ErrorNote error={settings.error} onRetry={settings.reload} />
        <label className="field">
          <span>Organization address</span>
          <input
            type="url"
            value={orgUrl}
            placeholder="https://gatehouse.example.com"
            onChange={(e) => setOrgUrl(e.target.value)}
            readOnly={settings.data?.orgUrlManaged}
            aria-describedby="org-url-help"
          />
          <small id="org-url-help" className="muted">
            {settings.data?.orgUrlManaged
              ? 'Set by your IT department.'
              : 'From your IT team. Leave empty to use Gatehouse on your own (personal mode).'}
          </small>
        </label>
        <label className="field field-narrow">
          <span>Keep the local audit log for (days)</span>
          <input
            type="number"
            min={1}
            max={3650}
            value={retention}
            onChange={(e) => setRetention(e.target.value)}
            readOnly={settings.data?.auditRetentionManaged}
            aria-describedby="retention-help"
          />
          {settings.data?.auditRetentionManaged && (
            <small id="retention-help" className="muted">
              Set by your organization's policy.
            </small>
          )}
        </label>
        {saveError && (
          <p className="text-bad" role="alert">
            {saveError}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={!settings.data}>
            Save
          </button>
          {saved && (
            <span className="muted" role="status">
              {saved}
            </span>
          )}
        </div>
      </form>

      <div className="card">
        <h2>Appearance</h2>
        <fieldset className="segmented" aria-label="Theme">
          {(['system', 'light', 'dark'] as const).map((choice) => (
            <label key={choice} className={theme === choice ? 'active' : ''}>
              <input
                type="radio"
                name="theme"
                value={choice}
                checked={theme === choice}
                onChange={() => {
                  setTheme(choice);
                  applyTheme(choice);
                }}
              />
              {choice === 'system' ? 'Match system' : choice === 'light' ? 'Light' : 'Dark'}
            </label>
          ))}
        </fieldset>
      </div>
    </section>
  );
}
