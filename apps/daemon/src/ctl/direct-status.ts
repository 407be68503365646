import { STATUS_FLAGS, type StatusFlags } from './commands/status.js';

// As `require` gives it: the ES module face of node:util loads 30-odd internal modules with it.
const { parseArgs } = process.getBuiltinModule('node:util');

/** A `status` command line read without commander: its `--socket` and its flags. */
export interface DirectStatus {
  socket: string | undefined;
  flags: StatusFlags;
}

const OPTIONS = {
  socket: { type: 'string' },
  ...Object.fromEntries(STATUS_FLAGS.map(({ name, type }) => [name, { type }])),
} as const satisfies Record<string, { type: 'boolean' | 'string' }>;

/**
 * `argv` read as a `status` command when commander would read it the same
 * way: `status` is its only word, only `--socket` comes before it, and every
 * option is one of `status`'s flags or `--socket`, with a value where one is
 * due (Node's `util.parseArgs`, strict). Undefined for anything else
 * (another command, `--help`, an unknown flag, a missing or dash-led value,
 * `--`): that goes to commander, which words every usage error. The flags'
 * values are checked later, as commander's are (`--timeout`).
 */
export function directStatus(argv: readonly string[]): DirectStatus | undefined {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch {
    return undefined;
  }
  const { values, positionals, tokens } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'status') return undefined;
  const command = tokens.findIndex((token) => token.kind === 'positional');
  const before = tokens.slice(0, command);
  if (tokens.some((token) => token.kind === 'option-terminator') || before.some((token) => token.kind === 'option' && token.name !== 'socket')) return undefined;
  const { socket, ...flags } = values as { socket?: string } & StatusFlags;
  return { socket, flags };
}
