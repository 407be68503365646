import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/protocol/message-encoder.js';
import { onCleanup } from '../helpers.js';
import { ctl, startCtl, startDaemon, type RunningDaemon } from './ctl-helpers.js';

/** Starting a daemon and flooding a stalled follower: a bound, not a speed assertion. */
const TEST_TIMEOUT_MS = 60_000;
/** Client notifications per burst of the flood that overwhelms a follower that does not read. */
const FLOOD = 2000;
/** The most bursts sent before giving up (a flood: about 100 000 records). */
const MAX_BURSTS = 50;
/** The longest wait for the daemon to take a burst before sending the next one anyway. */
const DRAIN_WAIT_MS = 1000;
/** What the daemon logs when it drops a subscriber that does not read. */
const DROPPED = /Closing a control connection: (a subscriber still is not reading|it has not read what it was sent)/;

/**
 * Sends client notifications to the daemon's control socket (each makes one
 * debug record, so one log event for every follower), `size` at a time every
 * 50 ms, until `done()` holds or `MAX_BURSTS` were sent.
 */
async function sendNoise(daemon: RunningDaemon, size: number, done: () => boolean): Promise<void> {
  const socket = connect(daemon.socket);
  onCleanup(() => socket.destroy());
  await once(socket, 'connect');
  socket.resume();
  const burst = Buffer.concat(Array.from({ length: size }, () => encodeMessage([2, 'noise', []])));
  for (let n = 0; n < MAX_BURSTS && !done(); n++) {
    if (!socket.write(burst)) await Promise.race([once(socket, 'drain'), sleep(DRAIN_WAIT_MS)]);
    await sleep(50);
  }
  socket.end();
}

/**
 * A daemon logging at debug and `evergreenctl logs -f` following it: resolves
 * once a record came through (a flood before that would keep the daemon from
 * answering its hello).
 */
async function following(): Promise<{ daemon: RunningDaemon; follower: ReturnType<typeof startCtl> }> {
  const daemon = await startDaemon();
  expect((await ctl([...daemon.flag, 'log-level', 'debug'])).code).toBe(0);
  const follower = startCtl([...daemon.flag, 'logs', '-f']);
  let printed = false;
  follower.child.stdout!.once('data', () => (printed = true));
  await sendNoise(daemon, 1, () => printed);
  expect(printed).toBe(true);
  return { daemon, follower };
}

describe('evergreenctl logs -f', () => {
  it('exits 1 saying the daemon dropped it for reading too slowly when its stdout is not read, the daemon still running', async () => {
    const { daemon, follower } = await following();
    // Its stdout no longer read, its writes block and it stops reading the daemon.
    follower.child.stdout!.pause();
    await sendNoise(daemon, FLOOD, () => daemon.log.some((line) => DROPPED.test(line)));
    expect(daemon.log.some((line) => DROPPED.test(line))).toBe(true);
    follower.child.stdout!.resume();
    const run = await follower.done;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('evergreenctl: Cannot follow the log further: the daemon dropped this follower for reading too slowly');
    expect(daemon.child.exitCode).toBeNull();
  }, TEST_TIMEOUT_MS);

  it('exits 3 saying the daemon went away when it stops', async () => {
    const { daemon, follower } = await following();
    expect((await ctl([...daemon.flag, 'shutdown', '--drain-ms', '0'])).code).toBe(0);
    const run = await follower.done;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('evergreenctl: Cannot follow the log further: the daemon went away');
  }, TEST_TIMEOUT_MS);
});
