// The cookie-jar "browser" lives with the demo org, which signs its demo user in with it.
export { browseHeadless } from '../../src-main/demo/headless-browser.ts';
export type { HeadlessBrowseOptions, HeadlessBrowseResult } from '../../src-main/demo/headless-browser.ts';
