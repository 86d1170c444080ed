import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js';
import { ErrorCode, type JsonRpcRequest } from '../jsonrpc/messages.ts';
import type { Listed, UpstreamEntry } from '../upstream/index.ts';
import { qualify, split } from './naming.ts';
import type { Router } from './router.ts';
import type { DownstreamSession } from './session.ts';

/** How long a client's first list waits for servers that have never been seen (no cache). */
const FIRST_LIST_WAIT_MS = 3_000;

const AGGREGATE_INSTRUCTIONS =
  "Gatehouse aggregates several MCP servers. Tool and prompt names are '<server>__<name>'; resource URIs are the servers' own.";

/**
 * The aggregated endpoint `/mcp`: lists are served from each server's cached lists (so no client
 * waits for the slowest server), names are namespaced, and requests are routed by name or URI.
 */
export class Aggregate {
  private readonly router: Router;
  private readonly templateCache = new Map<string, UriTemplate>();

  constructor(router: Router) {
    this.router = router;
  }

  initializeResult(): Record<string, unknown> {
    const known = this.router.pool
      .enabledEntries()
      .map((e) => e.connection.initializeResult?.capabilities ?? e.lists?.capabilities);
    const anyUnknown = known.some((c) => c === undefined);
    const has = (key: string) => anyUnknown || known.some((c) => c && key in c);
    // list_changed is always on: servers are toggled and policy changes while sessions are open.
    const capabilities: Record<string, unknown> = { tools: { listChanged: true } };
    if (has('prompts')) capabilities.prompts = { listChanged: true };
    if (has('resources')) capabilities.resources = { subscribe: true, listChanged: true };
    if (has('logging')) capabilities.logging = {};
    if (has('completions')) capabilities.completions = {};
    return {
      capabilities,
      serverInfo: { name: 'gatehouse', title: 'Gatehouse', version: this.router.version },
      instructions: AGGREGATE_INSTRUCTIONS,
    };
  }

  /** Servers this session may use right now (enabled and allowed by policy). */
  private visible(session: DownstreamSession): UpstreamEntry[] {
    return this.router.pool.enabledEntries().filter((e) => this.router.access.server(e.config.name, session.who).allow);
  }

  async handle(session: DownstreamSession, request: JsonRpcRequest): Promise<void> {
    const params = request.params ?? {};
    switch (request.method) {
      case 'tools/list':
        return this.list(session, request, 'tools', 'tool', true);
      case 'prompts/list':
        return this.list(session, request, 'prompts', 'prompt', true);
      case 'resources/list':
        return this.list(session, request, 'resources', 'resource', false);
      case 'resources/templates/list':
        return this.list(session, request, 'resourceTemplates', 'resource', false);
      case 'tools/call':
      case 'prompts/get':
        return this.byName(session, request, params.name);
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.byUri(session, request, params.uri);
      case 'completion/complete':
        return this.complete(session, request);
      case 'logging/setLevel':
        return this.setLevel(session, request);
      default:
        session.send({
          jsonrpc: '2.0',
          id: request.id,
          error: {
            code: ErrorCode.MethodNotFound,
            message: `Method '${request.method}' is not supported on the aggregated endpoint; use /servers/<name>/mcp for server-specific methods.`,
          },
        });
    }
  }

  private async list(
    session: DownstreamSession,
    request: JsonRpcRequest,
    key: 'tools' | 'prompts' | 'resources' | 'resourceTemplates',
    kind: 'tool' | 'prompt' | 'resource',
    namespaced: boolean,
  ): Promise<void> {
    const entries = this.visible(session);
    await this.router.pool.waitForLists(
      entries.map((e) => e.config.name),
      FIRST_LIST_WAIT_MS,
    );
    const items: Listed[] = [];
    for (const entry of entries) {
      const server = entry.config.name;
      for (const item of entry.lists?.[key] ?? []) {
        const name = (
          key === 'resourceTemplates' ? item.uriTemplate : key === 'resources' ? item.uri : item.name
        ) as string;
        if (!this.router.access.item(server, kind, name, session.who).allow) continue;
        items.push(namespaced ? { ...item, name: qualify(server, name) } : item);
      }
    }
    session.send({ jsonrpc: '2.0', id: request.id, result: { [key]: items } });
  }

  private unknown(session: DownstreamSession, request: JsonRpcRequest, what: string): void {
    session.send({ jsonrpc: '2.0', id: request.id, error: { code: ErrorCode.InvalidParams, message: what } });
  }

  private async byName(session: DownstreamSession, request: JsonRpcRequest, qualified: unknown): Promise<void> {
    const kind = request.method === 'tools/call' ? 'tool' : 'prompt';
    const parts = typeof qualified === 'string' ? split(qualified) : undefined;
    const entry = parts && this.router.pool.get(parts.server);
    if (!parts || !entry) {
      return this.unknown(
        session,
        request,
        `Unknown ${kind} '${String(qualified)}': names on Gatehouse's aggregated endpoint are '<server>__<${kind}>'; list them with ${kind}s/list.`,
      );
    }
    if (!entry.enabled) {
      return this.unknown(session, request, session.offReason(parts.server, parts.name));
    }
    const upstreamRequest = { ...request, params: { ...request.params, name: parts.name } };
    await session.forward(entry, request, upstreamRequest, parts.name);
  }

  /** The server that offers `uri`: a listed resource, else a matching template, else the only resource server. */
  private serverForUri(session: DownstreamSession, uri: string): UpstreamEntry | undefined {
    const entries = this.visible(session);
    const listed = entries.find((e) => e.lists?.resources.some((r) => r.uri === uri));
    if (listed) return listed;
    const templated = entries.find((e) => e.lists?.resourceTemplates.some((t) => this.matches(t.uriTemplate, uri)));
    if (templated) return templated;
    const withResources = entries.filter(
      (e) => (e.connection.initializeResult?.capabilities ?? e.lists?.capabilities ?? {}).resources,
    );
    return withResources.length === 1 ? withResources[0] : undefined;
  }

  private matches(template: unknown, uri: string): boolean {
    if (typeof template !== 'string') return false;
    let compiled = this.templateCache.get(template);
    if (!compiled) {
      try {
        compiled = new UriTemplate(template);
      } catch {
        return false;
      }
      this.templateCache.set(template, compiled);
    }
    return compiled.match(uri) !== null;
  }

  private async byUri(session: DownstreamSession, request: JsonRpcRequest, uri: unknown): Promise<void> {
    const entry = typeof uri === 'string' ? this.serverForUri(session, uri) : undefined;
    if (!entry || typeof uri !== 'string') {
      return session.send({
        jsonrpc: '2.0',
        id: request.id,
        error: {
          code: ErrorCode.ResourceNotFound,
          message: `Resource not found: no server behind Gatehouse offers '${String(uri)}'.`,
          data: { uri },
        },
      });
    }
    if (request.method === 'resources/subscribe') session.subscriptions.set(uri, entry.config.name);
    if (request.method === 'resources/unsubscribe') session.subscriptions.delete(uri);
    await session.forward(entry, request, request, uri);
  }

  private async complete(session: DownstreamSession, request: JsonRpcRequest): Promise<void> {
    const ref = (request.params?.ref ?? {}) as Record<string, unknown>;
    if (ref.type === 'ref/prompt') {
      const parts = typeof ref.name === 'string' ? split(ref.name) : undefined;
      const entry = parts && this.router.pool.get(parts.server);
      if (!parts || !entry || !entry.enabled)
        return this.unknown(session, request, `Unknown prompt '${String(ref.name)}'.`);
      const upstreamRequest = { ...request, params: { ...request.params, ref: { ...ref, name: parts.name } } };
      return session.forward(entry, request, upstreamRequest, undefined);
    }
    const uri = typeof ref.uri === 'string' ? ref.uri : undefined;
    const entry = uri
      ? (this.visible(session).find((e) => e.lists?.resourceTemplates.some((t) => t.uriTemplate === uri)) ??
        this.serverForUri(session, uri))
      : undefined;
    if (!entry)
      return this.unknown(
        session,
        request,
        `No server behind Gatehouse offers completions for '${String(uri ?? ref.name)}'.`,
      );
    return session.forward(entry, request, request, undefined);
  }

  private async setLevel(session: DownstreamSession, request: JsonRpcRequest): Promise<void> {
    const targets = this.visible(session).filter(
      (e) => e.connection.state === 'ready' && e.connection.initializeResult?.capabilities.logging,
    );
    // The upstream connection is shared: the level applies to every session of the server.
    await Promise.all(
      targets.map((e) => e.connection.request('logging/setLevel', request.params).catch(() => undefined)),
    );
    session.send({ jsonrpc: '2.0', id: request.id, result: {} });
  }
}
