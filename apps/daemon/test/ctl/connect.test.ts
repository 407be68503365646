import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { onCleanup } from '../helpers.js';
import { ctl, listen, tempDir } from './ctl-helpers.js';

describe('evergreenctl connect', () => {
  it('copies stdin to a tcp echo server and its replies to stdout, and exits 0 when both directions end', async () => {
    const server = await listen((socket) => socket.pipe(socket), { host: '127.0.0.1', port: 0 });
    const { port } = server.address() as AddressInfo;
    const input = 'hello\nworld\n'.repeat(1000);
    const run = await ctl(['connect', `tcp://127.0.0.1:${port}`], { stdin: input });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(input);
  });

  it('passes stdin\'s end on as a half-close and reads on until the pipe server ends', async () => {
    const path = join(tempDir(), 'half.sock');
    // Answers only once the client's write side has ended: the count of what it got.
    await listen((socket) => {
      let bytes = 0;
      socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
      socket.on('end', () => socket.end(`got ${bytes} bytes\n`));
    }, path);
    const run = await ctl(['connect', `pipe://${path}`], { stdin: 'x'.repeat(100_000) });
    expect(run).toMatchObject({ code: 0, stdout: 'got 100000 bytes\n', stderr: '' });
  });

  it('sends each stdin line as one udp datagram, prints the replies, and ends after stdin does', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (message, from) => echo.send(Buffer.concat([Buffer.from('re:'), message]), from.port, from.address));
    echo.bind(0, '127.0.0.1');
    await once(echo, 'listening');
    onCleanup(() => echo.close());
    const run = await ctl(['connect', `udp://127.0.0.1:${echo.address().port}`, '--wait-ms', '2000'], { stdin: 'one\ntwo\nlast' });
    expect(run.code).toBe(0);
    expect(run.stdout.split(/(?=re:)/).sort()).toEqual(['re:last', 're:one\n', 're:two\n']);
  });

  it('exits 1 with the error when the connection is refused', async () => {
    const server = await listen(() => {}, { host: '127.0.0.1', port: 0 });
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const run = await ctl(['connect', `tcp://127.0.0.1:${port}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^evergreenctl: .*(ECONNREFUSED|refused)/i);
    expect(run.stdout).toBe('');
  });

  it('exits 2 for a URI no transport takes, naming the scheme', async () => {
    const run = await ctl(['connect', 'quic://127.0.0.1:1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Cannot use scheme "quic"');
  });
});
