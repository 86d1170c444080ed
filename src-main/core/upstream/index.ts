export { UpstreamConnection } from './connection.ts';
export type { CallContext, ForwardResult, InitializeResult, UpstreamState } from './connection.ts';
export type { HeaderSource } from './http-transport.ts';
export type { Listed, ServerLists } from './list-cache.ts';
export { UpstreamPool } from './pool.ts';
export type { ListKind, PoolEvents, SecretEnv, UpstreamAuth, UpstreamEntry } from './pool.ts';
export { UpstreamError } from './errors.ts';
