import { Badge } from '../components/controls.tsx';
import type { Tone } from '../components/controls.tsx';

/** The audit module's outcomes (AUDIT_OUTCOMES), as the window names them. */
const OUTCOMES: Record<string, { label: string; tone: Tone }> = {
  ok: { label: 'OK', tone: 'ok' },
  tool_error: { label: 'Tool error', tone: 'bad' },
  denied: { label: 'Denied', tone: 'warn' },
  upstream_error: { label: 'Server error', tone: 'bad' },
  timeout: { label: 'Timeout', tone: 'bad' },
  cancelled: { label: 'Cancelled', tone: 'neutral' },
};

export const OUTCOME_LABELS: Record<string, string> = Object.fromEntries(
  Object.entries(OUTCOMES).map(([key, value]) => [key, value.label]),
);

export function OutcomeBadge(props: { outcome: string }) {
  const known = OUTCOMES[props.outcome];
  return <Badge tone={known?.tone ?? 'neutral'}>{known?.label ?? props.outcome}</Badge>;
}
