/**
 * JSON-RPC as the gateway sees it: plain objects passed through untouched wherever possible.
 * The proxy deliberately does not validate results against the MCP schemas (the client does that,
 * and validating twice is what makes other proxies slow); it checks only the envelope it routes on.
 */
export type RequestId = string | number;

export type JsonRpcRequest = { jsonrpc: '2.0'; id: RequestId; method: string; params?: Record<string, unknown> };
export type JsonRpcNotification = { jsonrpc: '2.0'; method: string; params?: Record<string, unknown> };
export type JsonRpcSuccess = { jsonrpc: '2.0'; id: RequestId; result: Record<string, unknown> };
export type JsonRpcErrorObject = { code: number; message: string; data?: unknown };
export type JsonRpcFailure = { jsonrpc: '2.0'; id: RequestId | null; error: JsonRpcErrorObject };
export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** Standard JSON-RPC codes plus the MCP ones the gateway emits. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** MCP: a request timed out (the SDK uses -32001). */
  RequestTimeout: -32001,
  /** Gateway: the upstream server failed or is unavailable. */
  UpstreamUnavailable: -32010,
  /** Gateway: the org policy denies this. */
  PolicyDenied: -32011,
  /** MCP: resource not found. */
  ResourceNotFound: -32002,
} as const;

export function isRequest(m: JsonRpcMessage): m is JsonRpcRequest {
  return 'method' in m && 'id' in m && m.id !== undefined && m.id !== null;
}
export function isNotification(m: JsonRpcMessage): m is JsonRpcNotification {
  return 'method' in m && !('id' in m && m.id !== undefined);
}
export function isResponse(m: JsonRpcMessage): m is JsonRpcResponse {
  return !('method' in m) && ('result' in m || 'error' in m);
}

export function errorResponse(id: RequestId | null, code: number, message: string, data?: unknown): JsonRpcFailure {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/**
 * Envelope check for one incoming message; returns a reason when it is not valid JSON-RPC 2.0.
 * Only what routing depends on is checked.
 */
export function envelopeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return 'a JSON-RPC message must be an object';
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return '\'jsonrpc\' must be "2.0"';
  const hasId = 'id' in m && m.id !== undefined;
  if (hasId && m.id !== null && typeof m.id !== 'string' && typeof m.id !== 'number')
    return "'id' must be a string or a number";
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method === '') return "'method' must be a non-empty string";
    if (
      'params' in m &&
      m.params !== undefined &&
      (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))
    ) {
      return "'params' must be an object";
    }
    return undefined;
  }
  if (!hasId) return "a message needs 'method' (request or notification) or 'id' with 'result' or 'error' (response)";
  if (!('result' in m) && !('error' in m)) return "a response needs 'result' or 'error'";
  return undefined;
}
