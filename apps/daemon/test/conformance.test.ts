import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { decodeMultiStream, encode } from '@msgpack/msgpack';
import { RpcErrorCode } from '../src/protocol/rpc-error.js';
import { onCleanup, startServer } from './helpers.js';

/**
 * A client written from the spec alone: node:net and @msgpack/msgpack,
 * none of the daemon's code (no msgpackr, no evergreen stream).
 */
async function specClient(path: string): Promise<{ socket: Socket; messages: AsyncIterator<unknown> }> {
  const socket = connect(path);
  onCleanup(() => socket.destroy());
  await once(socket, 'connect');
  return { socket, messages: decodeMultiStream(socket)[Symbol.asyncIterator]() };
}

async function next(messages: AsyncIterator<unknown>): Promise<unknown> {
  const step = await messages.next();
  if (step.done === true) throw new Error('the daemon closed the connection');
  return step.value;
}

describe('a client built on @msgpack/msgpack speaks the protocol', () => {
  it('calls hello and gets a plain map', async () => {
    const { path } = await startServer();
    const { socket, messages } = await specClient(path);
    socket.write(encode([0, 1, 'hello', []]));
    const [type, msgid, error, result] = (await next(messages)) as [number, number, unknown, Record<string, unknown>];
    expect([type, msgid, error]).toEqual([1, 1, null]);
    expect(result).toMatchObject({ name: 'evergreend', protocol: 1 });
    expect(result.limits).toMatchObject({ maxMessageBytes: 1024 * 1024 });
  });

  it('round-trips every MessagePack type the protocol allows, 64-bit integers included', async () => {
    const { path } = await startServer();
    const { socket, messages } = await specClient(path);
    const value = {
      text: 'grüße ✓ 𝄞',
      bytes: new Uint8Array([0, 1, 2, 254, 255]),
      ints: [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 40, -1, -32, -33, -129, -32_769, -(2 ** 31) - 1, -(2 ** 40)],
      floats: [0.5, -1.25, 1e300],
      flags: [true, false, null],
      nested: { a: [{ b: { c: [] } }], empty: {} },
      long: 'x'.repeat(1000),
    };
    socket.write(encode([0, 2, 'echo', [{ value }]]));
    const reply = (await next(messages)) as [number, number, null, { value: typeof value }];
    // @msgpack/msgpack hands a bin out as a view of the socket's chunk, a Buffer.
    expect(reply[3].value.bytes).toBeInstanceOf(Uint8Array);
    reply[3].value.bytes = Uint8Array.from(reply[3].value.bytes);
    expect(reply).toEqual([1, 2, null, { value }]);
  });

  it('gets replies to pipelined requests matched by msgid, and error objects with code and message', async () => {
    const { path } = await startServer();
    const { socket, messages } = await specClient(path);
    socket.write(Buffer.concat([encode([0, 10, 'echo', [{ value: 'a' }]]), encode([0, 11, 'no.such', []]), encode([0, 12, 'echo', [{ value: 'b' }]])]));
    const replies = [await next(messages), await next(messages), await next(messages)] as unknown[][];
    const byId = new Map(replies.map((reply) => [reply[1], reply]));
    expect(byId.get(10)).toEqual([1, 10, null, { value: 'a' }]);
    expect(byId.get(11)).toEqual([1, 11, { code: RpcErrorCode.METHOD_NOT_FOUND, message: 'Cannot call "no.such": no such method' }, null]);
    expect(byId.get(12)).toEqual([1, 12, null, { value: 'b' }]);
  });

  it('receives events as [2, "event", [{ topic, … }]] after subscribing', async () => {
    const { server, path } = await startServer();
    const { socket, messages } = await specClient(path);
    socket.write(encode([0, 1, 'subscribe', [{ topics: ['servers'] }]]));
    expect(await next(messages)).toEqual([1, 1, null, { topics: ['servers'] }]);
    server.publish('servers', { kind: 'added', name: 'echo' });
    expect(await next(messages)).toEqual([2, 'event', [{ topic: 'servers', kind: 'added', name: 'echo' }]]);
  });

  it('is answered byte for byte as the docs show: fixarray, fixmap, fixstr, fixint, nil, int16, str8', async () => {
    const { path } = await startServer();
    const socket = connect(path);
    onCleanup(() => socket.destroy());
    await once(socket, 'connect');
    socket.write(Buffer.from('940007a46563686f9181a576616c756501940002a46e6f706590', 'hex'));
    const expected = [
      '940107c081a576616c756501', // [1, 7, nil, { value: 1 }]
      // [1, 2, { code: -32601, message: 'Cannot call "nope": no such method' }, nil], as docs/control.md shows it
      '94010282a4636f6465d180a7a76d657373616765d922' + Buffer.from('Cannot call "nope": no such method').toString('hex') + 'c0',
    ].join('');
    let received = Buffer.alloc(0);
    for await (const chunk of socket) {
      received = Buffer.concat([received, chunk as Buffer]);
      if (received.length >= expected.length / 2) break;
    }
    expect(received.toString('hex')).toBe(expected);
  });
});
