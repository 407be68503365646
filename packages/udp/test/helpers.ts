import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach } from 'vitest';
import type { AddressInput } from '@evergreen/stream-core';
import { UDPEndpoint, type UDPEndpointOptions } from '../src/index.js';

/** The loopback addresses the tests use, both families. */
export const V4 = { host: '127.0.0.1', port: 0 } as const;
export const V6 = { host: '::1', port: 0 } as const;

const open = new Set<UDPEndpoint>();
afterEach(() => {
  for (const endpoint of open) endpoint.close();
  open.clear();
});

/** A new endpoint that is closed after the test, whatever happens. */
export function endpoint(options?: UDPEndpointOptions): UDPEndpoint {
  const created = new UDPEndpoint(options);
  open.add(created);
  return created;
}

/** A new endpoint bound to `address` (loopback, port 0 by default), closed after the test. */
export async function bound(address: AddressInput = V4, options?: UDPEndpointOptions): Promise<UDPEndpoint> {
  const created = endpoint(options);
  await created.bind(address);
  return created;
}

/** How long `until` waits at most, and how long without progress counts as stalled. */
const UNTIL_MAX_STEPS = 5000;
const STEP_MS = 1;

/**
 * Waits until `done()` holds, stepping 1 ms at a time: at most 5000 steps, or
 * `stallSteps` steps in a row in which `progress()` did not change. Returns
 * whether `done()` held. Loopback datagrams arrive within a step or two; the
 * bounds only keep a lost datagram from hanging the test.
 */
export async function until(done: () => boolean, progress: () => number = () => 0, stallSteps = UNTIL_MAX_STEPS): Promise<boolean> {
  let last = progress();
  let still = 0;
  for (let step = 0; step < UNTIL_MAX_STEPS && still < stallSteps; step++) {
    if (done()) return true;
    await sleep(STEP_MS);
    const now = progress();
    still = now === last ? still + 1 : 0;
    last = now;
  }
  return done();
}

/** Datagrams that reached the endpoint from the kernel: kept or dropped by its queue. */
export function arrivals(receiver: UDPEndpoint): number {
  const { received, dropped } = receiver.stats;
  return received + dropped;
}

/**
 * Datagram `seq` of a test stream: a 4-byte sequence number, its complement,
 * and 0..56 bytes derived from it, so any corruption, truncation or mix-up is
 * detected by {@link sequenceOf}.
 */
export function makeDatagram(seq: number): Buffer {
  const data = Buffer.alloc(8 + (seq % 57));
  data.writeUInt32BE(seq, 0);
  data.writeUInt32BE(~seq >>> 0, 4);
  for (let i = 8; i < data.length; i++) data[i] = (seq + i) & 0xff;
  return data;
}

/** The sequence number of an intact test datagram; -1 for anything else. */
export function sequenceOf(data: Buffer): number {
  if (data.length < 8) return -1;
  const seq = data.readUInt32BE(0);
  return makeDatagram(seq).equals(data) ? seq : -1;
}

/**
 * Datagrams the kernel dropped at the IPv4 socket bound to 127.0.0.1:`port`
 * (the `drops` column of /proc/net/udp, Linux only): the receive buffer was
 * full before Node could read it.
 */
export function kernelDrops(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const line = readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .find((row) => row.trim().split(/\s+/)[1] === local);
  if (line === undefined) throw new Error(`Cannot read kernel drops: no socket on ${local} in /proc/net/udp`);
  return Number(line.trim().split(/\s+/).at(-1));
}
