import { parseArgs } from 'node:util';
import { dirname } from 'node:path';
import { checkBindPath } from '@evergreen/pipe';
import { logLevelSchema, type LogLevel } from '../protocol/log-level.js';
import { PROTOCOL_VERSION } from '../protocol/protocol-version.js';
import { TOPICS } from '../protocol/topics.js';
import { TOPIC_LEVELS } from '../protocol/control-level.js';
import { VERSION } from '../version.js';
import { ConfigError, loadConfig } from './config/config-file.js';
import type { DaemonConfig } from './config/config-schema.js';
import { ControlServer } from './control/control-server.js';
import { controlMethods } from './control/control-methods.js';
import { checkControlSockets, resolveControlSockets } from './control/control-sockets.js';
import { checkPrivateDirectory, ensurePrivateDirectory } from './control/private-directory.js';
import { Daemon } from './daemon.js';
import { DaemonError } from './daemon-error.js';
import { resolvePaths, type DaemonPaths } from './config/daemon-paths.js';
import { InstanceLock } from './lock/instance-lock.js';
import { createLogger, type Logger } from './logging/logger.js';
import { checkStateDir, lockStateDir } from './lock/state-dir-lock.js';
import { takeListenFds } from './systemd/listen-fds.js';
import { PassedSockets } from './systemd/passed-sockets.js';
import { ReadinessNotifier } from './systemd/readiness-notifier.js';
import { ConfigWatcher } from './process/config-watcher.js';
import { shutdownDelayMsSchema } from './config/config-schema.js';
import { within } from '@evergreen/stream-core';
import { MAX_WORKERS, workerCount, workersSchema } from './config/workers-schema.js';
import { WorkerPool } from './workers/worker-pool.js';

/** Exit codes: 0 ok, 1 the daemon could not run (an address in use, already running, its state dir in use, more than 1024 servers), 2 bad usage or config. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

const USAGE = `Usage: evergreend [options]

Hosts the servers of its config (echo, discard, forward, or a handler module)
and listens for evergreenctl on a local control socket.

Options:
  --config FILE      the config (default: $XDG_CONFIG_HOME/evergreen/evergreend.json
                     when it exists, else the embedded default: an echo server
                     on tcp://127.0.0.1:7007)
  --socket PATH      the control socket (default: $EVERGREEN_SOCKET, the config's
                     control.socket, $XDG_RUNTIME_DIR/evergreen/control.sock)
  --state-dir DIR    where runtime changes are kept (default: $XDG_STATE_HOME/evergreen);
                     one daemon per state dir: daemons on different sockets
                     need a state dir each
  --log-level LEVEL  trace, debug, info, warn, error, fatal or silent (default: the config's)
  --shutdown-delay-ms MS
                     on SIGTERM/SIGINT, go on accepting this long (already not
                     ready) before draining (default: the config's shutdownDelayMs, 0)
  --workers N        serve the connections in N worker processes (0: in this one,
                     the default; auto: one per CPU) — default: the config's workers
  --watch-config     reload the config (by difference, as SIGHUP) when the file's
                     content changes; its directory is watched, so a Kubernetes
                     ConfigMap update (a symlink swap) is seen
  --check            check all a start would (config, state, control socket, state
                     dir, every server) without binding or writing, print what
                     would run, and exit as the start would (0, 1 or 2)
  --version          print the version
  --help             print this help

Signals: SIGHUP reloads the config; SIGTERM or SIGINT drains and exits (a second one forces it).
systemd: listen URIs sd://NAME and fd://N serve sockets it passes in; with
NOTIFY_SOCKET set, systemd-notify tells it READY=1, RELOADING=1, STOPPING=1
and WATCHDOG=1 (NotifyAccess=all).
Exit codes: 0 ok, 1 could not run (address in use, already running, state dir in use, over 1024 servers), 2 bad usage or config.`;

/** What the command line says. */
interface Flags {
  config?: string;
  socket?: string;
  stateDir?: string;
  logLevel?: LogLevel;
  shutdownDelayMs?: number;
  workers?: number | 'auto';
  watchConfig: boolean;
  check: boolean;
  version: boolean;
  help: boolean;
}

/** A usage or config problem: printed alone, exit 2. */
class UsageError extends Error {}

/**
 * Runs `evergreend` with `argv` (without node and the script) and resolves
 * its exit code once it has stopped — or never, while it serves: the process
 * exits from its signal handlers.
 */
export async function runDaemon(argv: readonly string[]): Promise<number> {
  try {
    return await run(parseFlags(argv));
  } catch (error) {
    process.stderr.write(`evergreend: ${(error as Error).message}\n`);
    return exitCodeOf(error);
  }
}

async function run(flags: Flags): Promise<number> {
  if (flags.help) return print(USAGE);
  if (flags.version) return print(VERSION);
  // Before anything can spawn a process: the sockets are ours, not a child's.
  const passedSockets = new PassedSockets(takeListenFds());
  const configFile = resolvePaths({ config: flags.config }).configFile;
  const config = await loadConfig(configFile);
  if (flags.logLevel !== undefined) config.log.level = flags.logLevel;
  if (flags.workers !== undefined) config.workers = flags.workers;
  const paths = resolvePaths({ config: flags.config, socket: flags.socket, stateDir: flags.stateDir }, config.control.socket);
  if (flags.check) return check(config, paths, passedSockets);
  if (flags.watchConfig && paths.configFile === null) throw new UsageError('--watch-config: there is no config file to watch (give --config FILE)');
  return serve(config, paths, { passedSockets, shutdownDelayMs: flags.shutdownDelayMs, watchConfig: flags.watchConfig });
}

/**
 * `--check`: everything a start checks, short of taking locks, binding and
 * writing — the control socket's path and directory, the state dir, the
 * state file, and every server the config and the runtime changes make.
 * Fails with the message and exit code the start would.
 */
async function check(config: DaemonConfig, paths: DaemonPaths, passedSockets: PassedSockets): Promise<number> {
  checkBindPath(paths.socket);
  const socketDirExists = await checkPrivateDirectory(dirname(paths.socket));
  const sockets = await checkControlSockets(config.control.sockets);
  await checkStateDir(paths.stateDir);
  const log = createLogger('silent');
  const { servers, conflicts } = await new Daemon({ config, configFile: paths.configFile, stateDir: paths.stateDir, log, passedSockets }).check();
  const lines = servers.map(({ spec, origin }) => {
    const target = spec.handler.type === 'forward' ? ` ${spec.handler.target}` : '';
    return `  ${spec.name}: ${spec.listen} -> ${spec.handler.type}${target}${origin === 'runtime' ? ' (added at runtime)' : ''}`;
  });
  const metrics = config.metrics === undefined ? [] : [`metrics: ${config.metrics.listen} (/metrics, /healthz, /readyz)`];
  return print([
    `config ${paths.configFile ?? '(embedded default)'} is valid; it would run:`,
    ...lines,
    ...conflicts.map((conflict) => `conflict: ${conflict.reason}`),
    `control socket: ${paths.socket}${socketDirExists ? '' : ' (its directory would be created, mode 0700)'}`,
    ...sockets,
    ...metrics,
    `state: ${paths.stateDir}`,
  ].join('\n'));
}

/** How `serve` runs beyond the config: the sockets passed in, and a shutdown delay given on the command line (over the config's). */
interface ServeOptions {
  passedSockets: PassedSockets;
  shutdownDelayMs?: number;
  /** Reload when the config file changes (`--watch-config`; needs a config file). */
  watchConfig: boolean;
}

/** How long an exit waits for the service manager to be told (STOPPING=1 queued behind a watchdog ping). */
const NOTIFY_GRACE_MS = 2_000;

async function serve(config: DaemonConfig, paths: DaemonPaths, options: ServeOptions): Promise<number> {
  let control: ControlServer | undefined;
  const log = createLogger(config.log.level, (record) => control?.publish('log', record));
  const notifier = new ReadinessNotifier(log);
  // A promise a handler module leaves rejected with nobody to catch it (a
  // read started and never awaited) is that handler's bug: logged, never the
  // end of the daemon and of every server in it. A synchronous throw outside
  // any promise still ends the process, as in any Node program.
  process.on('unhandledRejection', (reason) => log.error({ err: reason }, UNHANDLED_REJECTION));
  const count = workerCount(config.workers);
  const workers = count === 0 ? undefined : new WorkerPool({ count, log, publish: (topic, event) => control?.publish(topic, event) });
  const daemon = new Daemon({ config, configFile: paths.configFile, stateDir: paths.stateDir, log, passedSockets: options.passedSockets, workers });
  // The signals are ours before anything is taken: a start can be slow (a
  // module loading, a lock to wait for), and a SIGINT then must stop it as
  // it stops a running daemon, not kill it.
  const locked = takeLocks(paths);
  let stopping = false;
  let watcher: ConfigWatcher | undefined;
  // Live (the control socket served) until the drain begins: through a shutdown delay too.
  let draining = false;
  const stop = (reason: string, drainMs?: number, delayMs = 0): void => {
    if (stopping) return;
    stopping = true;
    watcher?.close();
    // Not ready from now on, whatever the delay: load balancers stop sending first.
    daemon.health.markStopping();
    notifier.stopping(delayMs > 0 ? `stopping: accepting for ${delayMs} ms more, then draining` : 'stopping: draining connections');
    void (async () => {
      try {
        if (delayMs > 0) {
          log.info({ reason, delayMs }, 'stopping: not ready, still accepting for the shutdown delay');
          await new Promise((resolve) => setTimeout(resolve, delayMs));
        }
        log.info({ reason }, 'stopping: draining connections');
        draining = true;
        // Without a delay this runs within stop() itself: changes are refused
        // from now on. The control socket stays up meanwhile, so requests in
        // progress (a remove waiting for its drain) are answered.
        await daemon.shutdown(drainMs);
        // Each worker stops once its servers have drained; the primary goes on until the last has exited.
        await workers?.close(drainMs);
        await control?.close();
        const release = await locked.catch(() => undefined);
        await release?.();
      } catch (error) {
        // Never left half-stopped: the lock left behind is stale and the next daemon replaces it.
        log.fatal({ err: error }, 'cannot stop cleanly: exiting');
        process.exit(EXIT_FAILURE);
      }
      log.info('stopped');
      await within(notifier.idle(), NOTIFY_GRACE_MS);
      process.exit(EXIT_OK);
    })();
  };
  let started = false;
  let reloadOnceStarted = false;
  const reloadNow = async (why: string): Promise<void> => {
    // Once stopping, the daemon refuses changes, and READY=1 must not follow STOPPING=1.
    if (stopping) return;
    notifier.reloading();
    await reload(daemon, log, why);
    if (!stopping) notifier.ready(readiness(daemon, paths));
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) forceExit(log, signal);
      // The delay is for a daemon that serves: a start is stopped at once.
      stop(signal, undefined, started ? (options.shutdownDelayMs ?? daemon.getConfig().config.shutdownDelayMs) : 0);
    });
  }
  process.on('SIGHUP', () => {
    if (started) return void reloadNow('SIGHUP');
    reloadOnceStarted = true;
    log.info('SIGHUP: the daemon is starting; it reloads the config once started');
  });
  let release: (() => Promise<void>) | undefined;
  try {
    release = await locked;
    await workers?.start();
    await daemon.start();
    const methods = controlMethods(daemon, (drainMs) => stop('shutdown requested', drainMs), workers);
    const sockets = await resolveControlSockets(config.control.sockets);
    const info = { name: 'evergreend', version: VERSION, protocol: PROTOCOL_VERSION };
    control = new ControlServer({ path: paths.socket, sockets, methods, info, topics: TOPICS, topicLevels: TOPIC_LEVELS, log, idleTimeoutMs: config.control.idleTimeoutMs, onSubscribed: (topics) => workers?.watchConnections(topics.has('connections')) });
    await control.listen();
    const published = control;
    daemon.subscribe((topic, event) => published.publish(topic, event));
    daemon.health.attachControl({ serving: () => !draining, connections: () => published.connections });
    if (options.watchConfig && paths.configFile !== null) {
      watcher = new ConfigWatcher(paths.configFile, () => void reloadNow('config file changed'), log);
      await watcher.start();
    }
  } catch (error) {
    // A signal stopped the start: the stop under way exits.
    if (stopping) return new Promise<number>(() => {});
    watcher?.close();
    await control?.close();
    await daemon.shutdown(0);
    await workers?.close(0);
    await release?.();
    throw error;
  }
  if (stopping) return new Promise<number>(() => {});
  started = true;
  const levels = (config.control.sockets ?? []).map(({ path, level }) => ({ path, level }));
  log.info({ socket: paths.socket, sockets: levels, configFile: paths.configFile, stateDir: paths.stateDir, version: VERSION }, 'control socket listening');
  notifier.ready(readiness(daemon, paths));
  notifier.startWatchdog();
  if (reloadOnceStarted) void reloadNow('SIGHUP');
  return new Promise<number>(() => {});
}

/** The log message of a promise rejection nobody handled (most likely a handler module's: one it started and never awaited). */
export const UNHANDLED_REJECTION = 'unhandled promise rejection: logged, the daemon goes on';

/**
 * Takes the control socket's lock, then the state dir's; resolves what
 * releases both. Throws `AlreadyRunningError` or `StateDirInUseError` (the
 * socket's lock released again), or the file system's error.
 */
async function takeLocks(paths: DaemonPaths): Promise<() => Promise<void>> {
  // The lock lives beside the socket: the directory must be private first.
  await ensurePrivateDirectory(dirname(paths.socket));
  const socketLock = await InstanceLock.acquire(paths.socket);
  try {
    const stateLock = await lockStateDir(paths.stateDir);
    return async () => {
      await stateLock.release();
      await socketLock.release();
    };
  } catch (error) {
    await socketLock.release();
    throw error;
  }
}

/** Reloads the config by difference; `why` (SIGHUP, the config watcher) starts the log line. Never rejects. */
async function reload(daemon: Daemon, log: Logger, why: string): Promise<void> {
  try {
    const report = await daemon.reload();
    log.info({ report }, `${why}: config reloaded`);
  } catch (error) {
    log.error({ err: error }, `${why}: config not reloaded, the old one stays`);
  }
}

/** The STATUS= line of READY=1: what runs, where it is controlled. */
function readiness(daemon: Daemon, paths: DaemonPaths): string {
  const { servers } = daemon.status();
  return `serving ${servers.total} servers (${servers.listening} listening, ${servers.paused} paused); control socket ${paths.socket}`;
}

/** A second signal: exit now; the lock left behind is stale and the next daemon replaces it. */
function forceExit(log: Logger, signal: string): never {
  log.warn({ signal }, 'second signal: exiting without draining');
  process.exit(EXIT_FAILURE);
}

function parseFlags(argv: readonly string[]): Flags {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        config: { type: 'string' },
        socket: { type: 'string' },
        'state-dir': { type: 'string' },
        'log-level': { type: 'string' },
        'shutdown-delay-ms': { type: 'string' },
        workers: { type: 'string' },
        'watch-config': { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
  const level = values['log-level'];
  const parsedLevel = level === undefined ? undefined : logLevelSchema.safeParse(level);
  if (parsedLevel !== undefined && !parsedLevel.success) throw new UsageError(`--log-level ${String(level)}: expected one of ${logLevelSchema.options.join(', ')}`);
  return {
    shutdownDelayMs: parseDelay(values['shutdown-delay-ms'] as string | undefined),
    workers: parseWorkers(values.workers as string | undefined),
    watchConfig: values['watch-config'] === true,
    config: values.config as string | undefined,
    socket: values.socket as string | undefined,
    stateDir: values['state-dir'] as string | undefined,
    logLevel: parsedLevel?.data,
    check: values.check === true,
    version: values.version === true,
    help: values.help === true,
  };
}

/** `--shutdown-delay-ms`, checked as the config's `shutdownDelayMs` is. */
function parseDelay(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const parsed = shutdownDelayMsSchema.safeParse(/^\d+$/.test(text) ? Number(text) : NaN);
  if (!parsed.success) throw new UsageError(`--shutdown-delay-ms ${text}: expected whole milliseconds, 0 to 2147483647`);
  return parsed.data;
}

/** `--workers`, checked as the config's `workers` is. */
function parseWorkers(text: string | undefined): number | 'auto' | undefined {
  if (text === undefined) return undefined;
  const parsed = workersSchema.safeParse(/^\d+$/.test(text) ? Number(text) : text);
  if (!parsed.success) throw new UsageError(`--workers ${text}: expected a whole number from 0 to ${MAX_WORKERS}, or auto`);
  return parsed.data;
}

function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return EXIT_OK;
}

function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError || error instanceof ConfigError) return EXIT_USAGE;
  if (error instanceof DaemonError) return error.kind === 'invalid' || error.kind === 'unavailable' ? EXIT_USAGE : EXIT_FAILURE;
  // Everything else (BindError, AlreadyRunningError, StateDirInUseError, …) means it could not run.
  return EXIT_FAILURE;
}
