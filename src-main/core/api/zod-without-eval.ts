// Imported first by the window (src-renderer/main.tsx) and the Electron preload, before any schema
// is built. The window's CSP forbids eval; zod would otherwise probe `new Function` while building
// object schemas, which the browser reports as a CSP (Trusted Types) violation even though zod
// catches it and falls back. Node (the core) keeps zod's faster compiled parsers.
import { config } from 'zod';

config({ jitless: true });
