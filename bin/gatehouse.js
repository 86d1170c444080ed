#!/usr/bin/env node
// Entry for `npx gatehouse` from a checkout. The CLI is TypeScript run by Node's built-in type
// stripping (Node >= 22.18), so there is no build step between editing and running.
import '../src-main/cli/main.ts';
