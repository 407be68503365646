import { readFile } from 'node:fs/promises';
import { configSchema, type DaemonConfig } from './config-schema.js';
import { DEFAULT_CONFIG } from './default-config.js';
import { describeIssues, validationIssues, type ValidationIssue } from '../../protocol/validation-issue.js';

/** A config that cannot be used: unreadable, not JSON, or not valid. `issues` says where and why. */
export class ConfigError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(message: string, issues: readonly ValidationIssue[] = [], options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/**
 * Validates a parsed config (defaults filled in). Throws {@link ConfigError}
 * naming every bad path, its value and what was expected; `source` names the
 * file in the message.
 */
export function parseConfig(input: unknown, source: string): DaemonConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = validationIssues(result.error, input);
  throw new ConfigError(`Invalid config ${source}:\n${describeIssues(issues)}`, issues);
}

/**
 * Reads and validates the config file, or the embedded default when `file`
 * is null. Throws {@link ConfigError}: the file cannot be read, is not JSON,
 * or does not validate.
 */
export async function loadConfig(file: string | null): Promise<DaemonConfig> {
  if (file === null) return parseConfig(DEFAULT_CONFIG, '(embedded default)');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read config "${file}": ${(error as Error).message}`, [], { cause: error });
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`Cannot parse config "${file}": ${(error as Error).message}`, [], { cause: error });
  }
  return parseConfig(input, `"${file}"`);
}
