import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import type { ChangeTopic, GatewayApi, GatewayEvent } from '../src-main/core/api/contract.ts';

type EventListener = (event: GatewayEvent) => void;

export type StreamState = 'connecting' | 'open' | 'reconnecting';

type ApiContextValue = { api: GatewayApi; onEvent(listener: EventListener): () => void; stream: StreamState };

const ApiContext = createContext<ApiContextValue | null>(null);

/** One live subscription for the whole window, fanned out to the views that listen. */
export function ApiProvider(props: { api: GatewayApi; children: ReactNode }) {
  const listeners = useRef(new Set<EventListener>());
  const [stream, setStream] = useState<StreamState>('connecting');
  const onEvent = useCallback((listener: EventListener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);
  useEffect(
    () =>
      props.api.subscribe((event) => {
        if (event.type === 'stream') setStream(event.state);
        for (const listener of listeners.current) listener(event);
      }),
    [props.api],
  );
  const value = useMemo(() => ({ api: props.api, onEvent, stream }), [props.api, onEvent, stream]);
  return <ApiContext value={value}>{props.children}</ApiContext>;
}

export function useApi(): GatewayApi {
  return useApiContext().api;
}

/** Whether live events are flowing (the Electron bridge is always open; HTTP can drop). */
export function useStreamState(): StreamState {
  return useApiContext().stream;
}

export function useGatewayEvents(listener: EventListener): void {
  const { onEvent } = useApiContext();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => onEvent((event) => latest.current(event)), [onEvent]);
}

export type Resource<T> = { data: T | undefined; error: Error | undefined; loading: boolean; reload(): void };

/**
 * Data from one API method, loaded on mount and reloaded whenever the core says its topic changed
 * or the live connection comes back (events may have been missed while it was down).
 */
export function useResource<T>(
  topics: ChangeTopic[],
  load: (api: GatewayApi) => Promise<T>,
  deps: unknown[] = [],
): Resource<T> {
  const api = useApi();
  const [state, setState] = useState<{ data: T | undefined; error: Error | undefined; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const generation = useRef(0);
  // `deps` are the caller's inputs to `load`; a change reloads.
  const reload = useCallback(() => {
    const mine = ++generation.current;
    setState((s) => ({ ...s, loading: true }));
    load(api).then(
      (data) => mine === generation.current && setState({ data, error: undefined, loading: false }),
      (error: Error) => mine === generation.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [api, ...deps]);
  useEffect(reload, [reload]);
  const missedEvents = useRef(false);
  useGatewayEvents((event) => {
    if (event.type === 'changed' && topics.includes(event.topic)) reload();
    if (event.type === 'stream' && event.state === 'reconnecting') missedEvents.current = true;
    if (event.type === 'stream' && event.state === 'open' && missedEvents.current) {
      missedEvents.current = false;
      reload();
    }
  });
  return { ...state, reload };
}

function useApiContext(): ApiContextValue {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi must be used inside <ApiProvider>.');
  return value;
}
