import { once } from 'node:events';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/protocol/message-encoder.js';
import { onCleanup, until } from '../helpers.js';
import { ctl, startCtl, startDaemon, type RunningDaemon } from './ctl-helpers.js';

/** Starting a daemon and flooding a stalled follower: a bound, not a speed assertion. */
const TEST_TIMEOUT_MS = 60_000;
/** Client notifications per burst of the flood that overwhelms a follower that does not read. */
const FLOOD = 2000;
/** The most bursts sent before giving up (a flood: about 100 000 records). */
const MAX_BURSTS = 50;
/**
 * Records per burst while a follower's stdout is not read: well under its
 * queue's 1,024, so that it keeps up as long as its stdout does (a bigger
 * burst could overflow the queue before stdout fills).
 */
const SLOW_READER_BURST = 200;
/** Bursts sent while a follower's stdout is not read: ten times what its queue keeps. */
const SLOW_READER_BURSTS = 50;
/** The longest wait for the daemon to get through a burst before sending the next one anyway. */
const BURST_WAIT_MS = 5000;
/** What the daemon logs when it drops a subscriber that does not read. */
const DROPPED = /Closing a control connection: (a subscriber still is not reading|it has not read what it was sent)/;

/**
 * Sends client notifications to the daemon's control socket (each makes one
 * debug record, so one log event for every follower), `size` at a time,
 * 50 ms apart, until `done()` holds or `MAX_BURSTS` were sent. Each burst ends with a
 * `status` request whose reply says the daemon has got through it: the
 * daemon is never left with more than one burst to log, so it answers a
 * follower's greeting soon after the flood stops.
 */
async function sendNoise(daemon: RunningDaemon, size: number, done: () => boolean): Promise<void> {
  const socket = connect(daemon.socket);
  onCleanup(() => socket.destroy());
  await once(socket, 'connect');
  const noise = Array.from({ length: size }, () => encodeMessage([2, 'noise', []]));
  for (let n = 0; n < MAX_BURSTS && !done(); n++) {
    const replied = once(socket, 'data');
    socket.write(Buffer.concat([...noise, encodeMessage([0, n, 'status', []])]));
    await Promise.race([replied, sleep(BURST_WAIT_MS)]);
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
  it('exits 1 saying the daemon dropped it for reading too slowly when it stopped reading, the daemon still running', async () => {
    const { daemon, follower } = await following();
    // Stopped, the follower reads nothing (SIGKILL in teardown ends it stopped or not).
    process.kill(follower.child.pid!, 'SIGSTOP');
    await sendNoise(daemon, FLOOD, () => daemon.log.some((line) => DROPPED.test(line)));
    expect(daemon.log.some((line) => DROPPED.test(line))).toBe(true);
    process.kill(follower.child.pid!, 'SIGCONT');
    const run = await follower.done;
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('evergreenctl: Cannot follow the log further: the daemon dropped this follower for reading too slowly');
    expect(daemon.child.exitCode).toBeNull();
  }, TEST_TIMEOUT_MS);

  it('waits for a slow reader of its stdout, counting the records it then drops, and is not dropped by the daemon', async () => {
    const { daemon, follower } = await following();
    let stderr = '';
    follower.child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // Its stdout no longer read: Node would queue every line in memory; the
    // follower waits instead, and keeps only 1,024 records meanwhile.
    follower.child.stdout!.pause();
    let bursts = 0;
    await sendNoise(daemon, SLOW_READER_BURST, () => (bursts += 1) > SLOW_READER_BURSTS);
    // Waiting for stdout, it has printed nothing more, warnings included.
    expect(stderr).toBe('');
    follower.child.stdout!.resume();
    await until(() => stderr.includes('log records were dropped: not read in time'));
    expect(stderr).toMatch(/^evergreenctl: \d+ log records were dropped: not read in time$/m);
    process.kill(follower.child.pid!, 'SIGINT');
    expect((await follower.done).code).toBe(0);
    expect(daemon.log.some((line) => DROPPED.test(line))).toBe(false);
  }, TEST_TIMEOUT_MS);

  it('exits 3 saying the daemon went away when it stops', async () => {
    const { daemon, follower } = await following();
    expect((await ctl([...daemon.flag, 'shutdown', '--drain-ms', '0'])).code).toBe(0);
    const run = await follower.done;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('evergreenctl: Cannot follow the log further: the daemon went away');
  }, TEST_TIMEOUT_MS);
});
