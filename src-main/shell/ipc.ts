import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent } from 'electron';
import { apiMethodNames } from '../core/api/contract.ts';
import type { GatewayApi } from '../core/api/contract.ts';
import { invokeApiMethod } from '../core/api/invoke.ts';
import type { WireResult } from '../core/api/invoke.ts';
import { ipcChannels } from '../core/api/ipc.ts';
import { isTrustedSender } from './app-origin.ts';

/** One handler per contract method, answering only our own window; returns the undo. */
export function registerApiIpc(api: GatewayApi, log: (line: string) => void): () => void {
  for (const method of apiMethodNames) {
    ipcMain.handle(ipcChannels[method], async (event: IpcMainInvokeEvent, input: unknown): Promise<WireResult> => {
      const frame = event.senderFrame;
      if (!isTrustedSender({ frameUrl: frame?.url, isMainFrame: frame !== null && frame === event.sender.mainFrame })) {
        log(`Refused IPC ${method} from ${frame?.url ?? 'a destroyed frame'}`);
        return { ok: false, error: { code: 'forbidden', message: 'This page may not use the Gatehouse API.' } };
      }
      return invokeApiMethod(api, method, input, (m, error) =>
        log(`API ${m} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
      );
    });
  }
  return () => {
    for (const method of apiMethodNames) ipcMain.removeHandler(ipcChannels[method]);
  };
}
