/**
 * Why a client config operation failed. The codes are stable (the window and `--json` output key on
 * them); the message tells the user which file, what is wrong with it and what to do.
 */
export type ClientConfigErrorCode =
  | 'unknown-client' // no such client in the table
  | 'unparseable' // the file does not parse: we never touch it
  | 'not-accepted' // it parses, but the client itself would reject it (e.g. a comment in strict JSON)
  | 'unsupported-layout' // valid, but shaped so that we cannot change only our entry
  | 'locked' // another writer held the lock for too long
  | 'edit-failed' // our edit did not produce what we meant: nothing was written
  | 'changed-while-writing'; // the client kept rewriting the file while we tried

export class ClientConfigError extends Error {
  readonly code: ClientConfigErrorCode;
  readonly file: string | undefined;

  constructor(code: ClientConfigErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ClientConfigError';
    this.code = code;
    this.file = options.file;
  }
}

/** What a format parser found wrong, with a 1-based position when it has one. */
export class ConfigSyntaxError extends Error {
  readonly line: number | undefined;
  readonly column: number | undefined;

  constructor(message: string, position: { line?: number; column?: number } = {}) {
    super(message);
    this.name = 'ConfigSyntaxError';
    this.line = position.line;
    this.column = position.column;
  }

  get where(): string {
    return this.line === undefined
      ? ''
      : `line ${this.line}${this.column === undefined ? '' : `, column ${this.column}`}: `;
  }
}
