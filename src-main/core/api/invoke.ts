import { gatewayMethods } from './contract.ts';
import type { ApiMethod, GatewayApi } from './contract.ts';
import { ApiError, describeIssues, issuesOf } from './errors.ts';
import type { ApiErrorBody } from './errors.ts';

/** The result of one call as it crosses a wire (HTTP body or IPC reply): never a thrown error. */
export type WireResult = { ok: true; value: unknown } | { ok: false; error: ApiErrorBody };

export type ServerFaultReporter = (method: string, error: unknown) => void;

/**
 * Runs one API method for an adapter (HTTP or IPC): validates the input against the contract,
 * calls the core, checks the answer against the contract, and turns every failure into an error
 * body. Client faults (bad input) and server faults (a throw without a code, an answer the
 * contract does not allow) get different codes, and only server faults reach `onServerFault`.
 */
export async function invokeApiMethod(
  api: GatewayApi,
  method: ApiMethod,
  rawInput: unknown,
  onServerFault: ServerFaultReporter = () => {},
): Promise<WireResult> {
  const spec = gatewayMethods[method];
  const input = spec.input.safeParse(rawInput ?? {});
  if (!input.success) {
    const issues = issuesOf(input.error);
    return {
      ok: false,
      error: { code: 'invalid-input', message: `Invalid input for ${method}: ${describeIssues(issues)}`, issues },
    };
  }
  let value: unknown;
  try {
    value = await (api[method] as (input: unknown) => Promise<unknown>)(input.data);
  } catch (error) {
    return { ok: false, error: errorBodyOf(error, method, onServerFault) };
  }
  const output = spec.output.safeParse(value);
  if (!output.success) {
    const detail = describeIssues(issuesOf(output.error));
    onServerFault(
      method,
      new ApiError('contract-violation', `${method} returned a value the contract does not allow: ${detail}`),
    );
    return {
      ok: false,
      error: {
        code: 'contract-violation',
        message: `Gatehouse returned an unexpected answer to ${method} (${detail}). Please report this bug.`,
      },
    };
  }
  return { ok: true, value: output.data };
}

function errorBodyOf(error: unknown, method: string, onServerFault: ServerFaultReporter): ApiErrorBody {
  if (error instanceof ApiError) return error.toBody();
  // The core's module errors carry a stable string code and a message written for the user.
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && code !== '') {
    return { code, message: error.message };
  }
  onServerFault(method, error);
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Gatehouse hit an unexpected error in ${method}: ${message}` };
}
