import type { ServerInfo } from '../../src-main/core/api/contract.ts';
import { useResource } from '../api-context.tsx';
import { Badge, EmptyState, ErrorNote } from '../components/controls.tsx';

export function ToolsView(props: { server: string | null; onServerChange(server: string): void }) {
  const servers = useResource(['servers'], (api) => api.listServers());
  const selected = props.server ?? firstUsable(servers.data);
  const tools = useResource(
    ['tools', 'servers'],
    (api) => (selected ? api.listTools({ server: selected }) : Promise.resolve([])),
    [selected],
  );
  const allowed = tools.data?.filter((t) => t.allowed).length ?? 0;

  return (
    <section className="view" aria-labelledby="tools-title">
      <header className="view-header view-header-row">
        <div>
          <h1 id="tools-title">Tools</h1>
          <p className="view-lede">
            What each server offers, and whether your organization's policy lets AI clients call it.
          </p>
        </div>
        <label className="field field-inline">
          <span>Server</span>
          <select
            value={selected ?? ''}
            onChange={(e) => props.onServerChange(e.target.value)}
            disabled={!servers.data?.length}
          >
            {servers.data?.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
      </header>
      <ErrorNote error={servers.error ?? tools.error} onRetry={tools.reload} />
      {tools.data && selected && (
        <p className="summary" aria-live="polite">
          {tools.data.length === 0
            ? 'No tools listed.'
            : `${allowed} of ${tools.data.length} tools allowed on ${selected}.`}
        </p>
      )}
      {!selected && servers.data && <EmptyState title="No servers to show tools for" />}
      {tools.data && tools.data.length > 0 && (
        <ul className="tool-list" aria-label={`Tools of ${selected}`}>
          {tools.data.map((tool) => (
            <li key={tool.name} className="tool-row" data-tool={tool.name} data-allowed={tool.allowed}>
              <div className="tool-main">
                <span className="tool-name">{tool.name}</span>
                {tool.description && <p className="tool-description">{tool.description}</p>}
                {(tool.rule || tool.reason) && (
                  <p className="tool-rule">
                    {tool.rule && <code>{tool.rule}</code>}
                    {tool.rule && tool.reason && ' — '}
                    {tool.reason}
                  </p>
                )}
              </div>
              <Badge tone={tool.allowed ? 'ok' : 'bad'}>{tool.allowed ? 'Allowed' : 'Denied'}</Badge>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function firstUsable(servers: ServerInfo[] | undefined): string | null {
  if (!servers?.length) return null;
  return (servers.find((s) => s.toolCount !== null) ?? servers[0]!).name;
}
