import { useState } from 'react';
import type { ReactNode } from 'react';

export function Switch(props: {
  checked: boolean;
  onChange(checked: boolean): void;
  label: string;
  disabled?: boolean;
  title?: string;
}) {
  return (
    <button
      type="button"
      role="switch"
      className="switch"
      aria-checked={props.checked}
      aria-label={props.label}
      disabled={props.disabled}
      title={props.title}
      onClick={() => props.onChange(!props.checked)}
    >
      <span className="switch-thumb" />
    </button>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'neutral' | 'info';

export function Badge(props: { tone: Tone; children: ReactNode; title?: string }) {
  return (
    <span className={`badge badge-${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

export function StateDot(props: { tone: Tone }) {
  return <span className={`dot dot-${props.tone}`} aria-hidden="true" />;
}

export function ErrorNote(props: { error: unknown; onRetry?: () => void }) {
  if (!props.error) return null;
  const message = props.error instanceof Error ? props.error.message : String(props.error);
  return (
    <div className="note note-bad" role="alert">
      <span>{message}</span>
      {props.onRetry && (
        <button type="button" className="button-link" onClick={props.onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A button that copies text and says so for a moment. */
export function CopyButton(props: { text: () => string; label: string; className?: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text());
      setCopied('yes');
    } catch {
      setCopied('failed');
    }
    setTimeout(() => setCopied(null), 1500);
  };
  return (
    <button type="button" className={props.className ?? 'button'} onClick={() => void copy()}>
      {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed' : props.label}
    </button>
  );
}

export function EmptyState(props: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <p className="empty-title">{props.title}</p>
      {props.children && <div className="empty-body">{props.children}</div>}
    </div>
  );
}
