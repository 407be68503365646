import { homedir } from 'node:os';
import { defaultSocketPath } from '../../protocol/socket-path.js';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Where a daemon finds its config, keeps its state and listens for control. */
export interface DaemonPaths {
  /** The config file in use, or null to run the embedded default. */
  configFile: string | null;
  /** The directory of the state file (created 0700 on first write; evergreend creates it at start, to lock it). */
  stateDir: string;
  /** The control socket. */
  socket: string;
}

/** What the command line and environment say about the paths. */
export interface PathChoices {
  config?: string;
  stateDir?: string;
  socket?: string;
  env?: NodeJS.ProcessEnv;
}

/** The config file looked up when `--config` is not given, if it exists. */
export function defaultConfigFile(env: NodeJS.ProcessEnv = process.env): string | null {
  const file = join(xdg(env, 'XDG_CONFIG_HOME', '.config'), 'evergreen', 'evergreend.json');
  return existsSync(file) ? file : null;
}

/**
 * Resolves the paths, first match wins: the config is `--config`, then
 * `$XDG_CONFIG_HOME/evergreen/evergreend.json` when it exists, else none;
 * state is `--state-dir`, then `$XDG_STATE_HOME/evergreen`
 * (`~/.local/state/evergreen`); the socket is `--socket`, then
 * `EVERGREEN_SOCKET`, then the config's `control.socket`, then
 * {@link defaultSocketPath}.
 */
export function resolvePaths(choices: PathChoices, configSocket?: string): DaemonPaths {
  const env = choices.env ?? process.env;
  const configFile = choices.config !== undefined ? resolve(choices.config) : defaultConfigFile(env);
  const stateDir = resolve(choices.stateDir ?? join(xdg(env, 'XDG_STATE_HOME', join('.local', 'state')), 'evergreen'));
  // An empty EVERGREEN_SOCKET is unset, as evergreenctl reads it (resolve('') would be the working directory).
  const socket = resolve(choices.socket ?? (env.EVERGREEN_SOCKET || undefined) ?? configSocket ?? defaultSocketPath(env));
  return { configFile, stateDir, socket };
}

/** The directory a config's relative paths (module handlers, transports) are resolved against. */
export function configBaseDir(configFile: string | null): string {
  return configFile === null ? process.cwd() : dirname(configFile);
}

function xdg(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const value = env[name];
  // The XDG spec: a relative path in these variables is invalid and ignored.
  return value !== undefined && value.startsWith('/') ? value : join(homedir(), fallback);
}
