export { LocalTokenStore } from './local-tokens.ts';
export type { TokenCheck } from './local-tokens.ts';
