import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { KeyboardEvent, ReactNode, RefObject } from 'react';

type Props = {
  count: number;
  rowHeight: number;
  renderRow(index: number): ReactNode;
  /** Rows rendered above and below the visible ones, so fast scrolling shows no blank band. */
  overscan?: number;
  onNearEnd?(): void;
  onKeyDown?(event: KeyboardEvent<HTMLDivElement>): void;
  scrollRef?: RefObject<HTMLDivElement | null>;
  label: string;
  activeDescendant?: string | undefined;
};

/**
 * A windowed list: only the rows in view (plus a few) exist in the DOM, positioned inside a spacer
 * as tall as all rows, so 100,000 records scroll as smoothly as 100. Rows have one fixed height.
 */
export function VirtualList(props: Props) {
  const { count, rowHeight, overscan = 8 } = props;
  const ownRef = useRef<HTMLDivElement>(null);
  const ref = props.scrollRef ?? ownRef;
  const [viewport, setViewport] = useState({ top: 0, height: 600 });

  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      setViewport((v) =>
        v.top === element.scrollTop && v.height === element.clientHeight
          ? v
          : { top: element.scrollTop, height: element.clientHeight },
      );
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    element.addEventListener('scroll', onScroll, { passive: true });
    const observer = new ResizeObserver(onScroll);
    observer.observe(element);
    return () => {
      element.removeEventListener('scroll', onScroll);
      observer.disconnect();
      cancelAnimationFrame(frame);
    };
  }, [ref]);

  const first = Math.max(0, Math.floor(viewport.top / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((viewport.top + viewport.height) / rowHeight) + overscan);

  const nearEnd = last >= count - overscan;
  const onNearEnd = props.onNearEnd;
  useEffect(() => {
    if (nearEnd && onNearEnd) onNearEnd();
  }, [nearEnd, count, onNearEnd]);

  const rows: ReactNode[] = [];
  for (let index = first; index < last; index++) rows.push(props.renderRow(index));

  return (
    <div
      ref={ref}
      className="virtual-list"
      role="listbox"
      aria-label={props.label}
      aria-activedescendant={props.activeDescendant}
      tabIndex={0}
      onKeyDown={props.onKeyDown}
    >
      <div className="virtual-list-spacer" style={{ height: count * rowHeight }}>
        <div className="virtual-list-window" style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
