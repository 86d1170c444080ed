import { Badge } from '../components/controls.tsx';
import type { Tone } from '../components/controls.tsx';

const OUTCOMES: Record<string, { label: string; tone: Tone }> = {
  ok: { label: 'OK', tone: 'ok' },
  denied: { label: 'Denied', tone: 'warn' },
  error: { label: 'Error', tone: 'bad' },
};

export function OutcomeBadge(props: { outcome: string }) {
  const known = OUTCOMES[props.outcome];
  return <Badge tone={known?.tone ?? 'neutral'}>{known?.label ?? props.outcome}</Badge>;
}
