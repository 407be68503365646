import type { Command } from 'commander';
import { constants } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CtlContext } from '../ctl-context.js';
import type { DaemonClient } from '../daemon-client.js';
import { DaemonDisconnectedError } from '../daemon-disconnected-error.js';
import { FullScreen } from '../full-screen.js';
import { RateMeter } from '../rate-meter.js';
import { renderTop, type TopSnapshot } from '../top-view.js';

const REFRESH_MS = 1000;
/** Signals that end `top` (the terminal restored first); the exit code is 128 + the signal's number. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const QUIT_KEYS = new Set([0x71 /* q */, 0x51 /* Q */, 0x03 /* ^C */]);

/**
 * `evergreenctl top`: a live full-screen view of the servers, refreshed
 * each second, redrawn on resize. `q` or ^C quits (exit 0); SIGINT, SIGTERM
 * or SIGHUP end it too (exit 128 + signal); the daemon going away ends it
 * with exit 3. The terminal is restored in every case. Without a terminal:
 * exit 2.
 */
export function registerTop(program: Command, ctx: CtlContext): void {
  program
    .command('top')
    .description('a live full-screen view: servers, state, connections, bytes/s in and out (q quits)')
    .action(async () => {
      const screen = FullScreen.open('top');
      let client: DaemonClient;
      try {
        client = await ctx.connect();
      } catch (error) {
        await screen.leave();
        throw error;
      }
      ctx.exitWith(await runTop(screen, client));
    });
}

/** Shows the view until a quit key, a signal, or a failure; resolves the exit code, rejects with the failure. */
async function runTop(screen: FullScreen, client: DaemonClient): Promise<number> {
  const stop = new AbortController();
  let exitCode = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    exitCode = 128 + constants.signals[signal];
    stop.abort();
  };
  for (const signal of ENDING_SIGNALS) process.on(signal, onSignal);
  let snapshot: TopSnapshot | undefined;
  const redraw = (): void => {
    if (snapshot !== undefined) screen.draw(renderTop(snapshot, screen.size));
  };
  try {
    screen.enter();
    // Input ending (the terminal hung up) or failing ends the view too.
    watchKeys(screen).then(() => stop.abort(), () => stop.abort());
    watchResizes(screen, stop.signal, redraw).catch(() => undefined);
    const stopped = new Promise<undefined>((resolve) => stop.signal.addEventListener('abort', () => resolve(undefined), { once: true }));
    const meter = new RateMeter();
    while (!stop.signal.aborted) {
      // A daemon that does not answer never holds the view: a quit key ends the wait.
      snapshot = (await Promise.race([fetchSnapshot(client, meter), stopped])) ?? snapshot;
      redraw();
      await sleep(REFRESH_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
    return exitCode;
  } catch (error) {
    if (!(error instanceof DaemonDisconnectedError)) throw error;
    throw new DaemonDisconnectedError(`Cannot go on showing top: the daemon went away (${error.message})`, { cause: error });
  } finally {
    stop.abort();
    for (const signal of ENDING_SIGNALS) process.off(signal, onSignal);
    await screen.leave();
  }
}

async function fetchSnapshot(client: DaemonClient, meter: RateMeter): Promise<TopSnapshot> {
  const [status, servers, stats] = await Promise.all([client.status(), client.listServers(), client.stats()]);
  return { status, servers, rates: meter.sample(stats, performance.now()) };
}

/** Resolves when a quit key is typed or input ends. */
async function watchKeys(screen: FullScreen): Promise<void> {
  for await (const chunk of screen.keys()) {
    if (chunk.some((byte) => QUIT_KEYS.has(byte))) return;
  }
}

async function watchResizes(screen: FullScreen, signal: AbortSignal, redraw: () => void): Promise<void> {
  for await (const size of screen.resizes(signal)) {
    void size;
    redraw();
  }
}
