import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { CliError } from './cli-error.ts';

const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

/**
 * Every command's argument handling: unknown or malformed options are a usage error that shows
 * the command's help (exit 2); `--help` prints the help and the command stops (undefined).
 */
export function parseCommandArgs<const O extends ParseArgsOptionsConfig>(
  argv: string[],
  options: O,
  help: string,
  config: { allowPositionals?: boolean } = {},
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, ...HELP_OPTION },
      allowPositionals: config.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    throw new CliError(`${(error as Error).message}\n\n${help}`, 2);
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(help);
    return undefined;
  }
  return parsed;
}
