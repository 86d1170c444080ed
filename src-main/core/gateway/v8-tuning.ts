import v8 from 'node:v8';

/**
 * V8 settings for a process that has finished starting a gateway and now serves calls; run once
 * it is ready (`gatehouse serve`, the app's main process).
 *
 * - The young generation may grow under load again (V8's default growth factor):
 *   bin/gatehouse.js holds it at its initial size while `serve` starts, so that what start-up
 *   allocates does not leave 16 MB of it resident at idle.
 * - The code of a call's path is optimised after ~100 calls (Maglev) and ~500 calls (TurboFan)
 *   instead of V8's 400 and 3000: a function a request runs once would otherwise stay in the
 *   baseline tiers for the first 3000 calls, which is longer than most users' day. Measured
 *   with `npm run bench`: gateway CPU per small call 0.74-0.81 ms -> 0.48-0.56 ms, added latency
 *   per small call +0.45-0.57 ms -> +0.29-0.42 ms (docs/architecture.md, Performance). Set after
 *   start-up, so start-up code (run once) does not pay for compiles it would not use.
 */
export function tuneV8ForServing(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=2');
  v8.setFlagsFromString('--invocation-count-for-maglev=100');
  v8.setFlagsFromString('--invocation-count-for-turbofan=500');
}
