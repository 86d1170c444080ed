// Imported first by main.tsx, before any schema is built. The window's CSP forbids eval; zod would
// otherwise probe `new Function` while building object schemas, which the browser reports as a
// CSP (Trusted Types) violation even though zod catches it and falls back.
import { config } from 'zod';

config({ jitless: true });
