import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient, type DaemonEvent } from '../../src/ctl/daemon-client.js';
import { cleanUp } from '../daemon-process.js';
import { closeClients, holdConnection, startWorkersDaemon } from './workers-daemon.js';

// The workers send their connections' events to the primary only while a
// control client is subscribed to `connections` (they cost two messages per
// connection): a subscriber must still see every connection's events from
// its subscribe's answer on, however often subscribers come and go.

afterEach(async () => {
  closeClients();
  await cleanUp();
});

const ECHO = { name: 'echo', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };
const EVENT_WAIT_MS = 10_000;

/** The next `count` events of `events` (bounded in time). */
async function take(events: AsyncGenerator<DaemonEvent>, count: number): Promise<Record<string, unknown>[]> {
  const taken: Record<string, unknown>[] = [];
  const timer = setTimeout(() => void events.return(undefined), EVENT_WAIT_MS);
  try {
    while (taken.length < count) {
      const next = await events.next();
      if (next.done === true) throw new Error(`Expected ${count} events, got ${taken.length} in ${EVENT_WAIT_MS} ms`);
      if (next.value.kind === 'event') taken.push(next.value.fields);
    }
  } finally {
    clearTimeout(timer);
  }
  return taken;
}

describe('connection events from workers', () => {
  it('reach a subscriber from its answer on, and a later subscriber after the first has gone', async () => {
    const { sandbox, control, addresses } = await startWorkersDaemon({ workers: 2, servers: [ECHO] });
    for (let subscriberNumber = 0; subscriberNumber < 2; subscriberNumber += 1) {
      const subscriber = await DaemonClient.connect(sandbox.socket);
      try {
        await subscriber.subscribe(['connections']);
        const events = subscriber.events();
        const held = [await holdConnection(control, addresses.echo!), await holdConnection(control, addresses.echo!)];
        for (const each of held) each.client.close();
        const seen = await take(events, 4);
        const pids = held.map((each) => each.info.worker);
        expect(new Set(pids).size).toBe(2);
        for (const [index, each] of held.entries()) {
          const mine = seen.filter((event) => event.id === each.info.id);
          expect(mine.map((event) => event.type).sort()).toEqual(['close', 'open']);
          expect(mine.every((event) => event.worker === pids[index] && event.server === 'echo')).toBe(true);
        }
      } finally {
        subscriber.close();
      }
    }
  });
});
