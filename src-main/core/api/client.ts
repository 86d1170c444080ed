// The caller's side of the contract: one GatewayApi object built over any transport (fetch in a
// browser or the CLI, the preload bridge in Electron). Browser-safe: no Node imports here.
import { apiMethodNames, gatewayMethods, GatewayEventSchema } from './contract.ts';
import type { ApiMethod, GatewayApi, GatewayEventListener } from './contract.ts';
import { ApiError, describeIssues, issuesOf } from './errors.ts';
import type { WireResult } from './invoke.ts';

/** How calls and live events travel; the client adds validation on top. */
export type ApiTransport = {
  call(method: ApiMethod, input: unknown): Promise<WireResult>;
  subscribe(listener: (event: unknown) => void): () => void;
};

/**
 * Validates input before sending (so a mistake fails here with the zod issue, not as a 400) and
 * the answer after receiving (so a core that drifted from the contract is caught at the edge).
 * Failed calls throw ApiError with the code from the other side.
 */
export function createApiClient(
  transport: ApiTransport,
  options: { onInvalidEvent?: (event: unknown) => void } = {},
): GatewayApi {
  const api: Record<string, unknown> = {};
  for (const method of apiMethodNames) {
    api[method] = async (rawInput?: unknown) => {
      const spec = gatewayMethods[method];
      const input = spec.input.safeParse(rawInput ?? {});
      if (!input.success) {
        const issues = issuesOf(input.error);
        throw new ApiError('invalid-input', `Invalid input for ${method}: ${describeIssues(issues)}`, { issues });
      }
      const result = await transport.call(method, input.data);
      if (!result.ok) throw ApiError.fromBody(result.error);
      const output = spec.output.safeParse(result.value);
      if (!output.success) {
        throw new ApiError(
          'contract-violation',
          `Gatehouse answered ${method} with something unexpected: ${describeIssues(issuesOf(output.error))}`,
        );
      }
      return output.data;
    };
  }
  api.subscribe = (listener: GatewayEventListener) =>
    transport.subscribe((raw) => {
      const event = GatewayEventSchema.safeParse(raw);
      if (event.success) listener(event.data);
      else options.onInvalidEvent?.(raw);
    });
  return api as GatewayApi;
}
