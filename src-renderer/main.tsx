import '../src-main/core/api/zod-without-eval.ts';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiProvider } from './api-context.tsx';
import { App, NeedsToken } from './App.tsx';
import { connectToGateway, reloadWhenTokenArrives } from './connect.ts';
import { applyTheme, loadTheme } from './theme.ts';
import './styles.css';

applyTheme(loadTheme());
const connection = connectToGateway();
if (connection.via === 'http') reloadWhenTokenArrives();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {connection.hasToken ? (
      <ApiProvider api={connection.api}>
        <App />
      </ApiProvider>
    ) : (
      <NeedsToken />
    )}
  </StrictMode>,
);
