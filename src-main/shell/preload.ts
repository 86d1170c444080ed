// The window's only door to the main process: exactly the contract's methods (channel names come
// from the contract's method table) plus `subscribe` for live events. Never exposes ipcRenderer.
// Built into one CommonJS file by `vite build --mode preload`, as a sandboxed preload must be.
import '../core/api/zod-without-eval.ts';
import { contextBridge, ipcRenderer } from 'electron';
import { apiMethodNames } from '../core/api/contract.ts';
import { IPC_EVENT_CHANNEL, ipcChannels } from '../core/api/ipc.ts';
import type { GatehouseBridge } from '../core/api/ipc.ts';
import type { WireResult } from '../core/api/invoke.ts';

const methods = Object.fromEntries(
  apiMethodNames.map((method) => [
    method,
    (input?: unknown): Promise<WireResult> => ipcRenderer.invoke(ipcChannels[method], input),
  ]),
);

const bridge = {
  ...methods,
  subscribe(listener: (event: unknown) => void): () => void {
    const forward = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    return () => void ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
  },
} as GatehouseBridge;

contextBridge.exposeInMainWorld('gatehouse', bridge);
