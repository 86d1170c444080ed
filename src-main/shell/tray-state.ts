import type { Status } from '../core/api/contract.ts';

export type TrayState = 'signed-in' | 'signed-out' | 'personal' | 'paused' | 'policy-stale' | 'error';

export type TrayLook = { state: TrayState; tooltip: string };

/**
 * What the tray icon says, from the gateway status. Problems outrank everything (the icon is the
 * only thing the user sees most of the day); `undefined` status means the core did not answer.
 */
export function trayLookOf(status: Status | undefined, failure?: string): TrayLook {
  if (!status) return { state: 'error', tooltip: `Gatehouse: not running${failure ? ` (${failure})` : ''}` };
  if (status.health.state === 'error')
    return { state: 'error', tooltip: `Gatehouse: ${status.health.message ?? 'gateway error'}` };
  if (status.paused) return { state: 'paused', tooltip: 'Gatehouse: paused, tool calls are refused' };
  if (status.mode === 'org' && !status.user)
    return { state: 'signed-out', tooltip: `Gatehouse: signed out${status.org ? ` of ${status.org.name}` : ''}` };
  if (status.policy.state === 'stale')
    return { state: 'policy-stale', tooltip: 'Gatehouse: org policy is out of date' };
  if (status.health.state === 'degraded')
    return { state: 'error', tooltip: `Gatehouse: ${status.health.message ?? 'some servers are not working'}` };
  const warning = status.signInNeeded?.message ?? status.audit?.warnings[0];
  const note = warning ? `\n${warning}` : '';
  if (status.mode === 'personal') return { state: 'personal', tooltip: `Gatehouse: running (personal mode)${note}` };
  return { state: 'signed-in', tooltip: `Gatehouse: signed in as ${status.user!.email}${note}` };
}
