import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { controlMethod } from '../src/daemon/control/control-method.js';
import { RawClient, startServer } from './helpers.js';

/** Requests pipelined in one write. */
const PIPELINED = 40;
/** Requests one control connection starts per event-loop turn (control-session.ts). */
const REQUESTS_PER_TURN = 4;

describe('control fairness', () => {
  it('a client pipelining many requests has them started a few per event-loop turn, not all in one', async () => {
    // The event-loop turn each request was started in, counted by a setImmediate loop.
    let turn = 0;
    let counting = true;
    const count = (): void => {
      turn++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const startedIn: number[] = [];
    const { path } = await startServer({
      methods: {
        turn: controlMethod(z.object({}), () => {
          startedIn.push(turn);
          return turn;
        }),
      },
    });
    try {
      const raw = await RawClient.connect(path);
      for (let id = 0; id < PIPELINED; id++) raw.send([0, id, 'turn', [{}]]);
      for (let i = 0; i < PIPELINED; i++) expect(await raw.next()).toMatchObject([1, expect.any(Number), null, expect.any(Number)]);
    } finally {
      counting = false;
    }
    const perTurn = new Map<number, number>();
    for (const each of startedIn) perTurn.set(each, (perTurn.get(each) ?? 0) + 1);
    expect(startedIn).toHaveLength(PIPELINED);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(REQUESTS_PER_TURN);
  });
});
