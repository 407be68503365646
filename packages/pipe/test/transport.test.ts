import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PipeClient, PipeServer, transport } from '../src/index.js';
import { temporaryDirectory } from './helpers.js';

const directory = temporaryDirectory('pipe-transport');

/** Any path `format` accepts: absolute Unix paths, abstract names, Windows pipe names (no NUL inside). */
const pathText = fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !s.includes('\0'));
const anyPipePath = fc.oneof(
  pathText.map((s) => `/${s}`),
  pathText.map((s) => `\0${s}`),
  pathText.map((s) => `\\\\.\\pipe\\${s}`),
);

describe('pipe transport', () => {
  it('is a stream transport for the pipe scheme', () => {
    expect(transport.kind).toBe('stream');
    expect(transport.scheme).toBe('pipe');
  });

  it('parses socket paths, abstract names and Windows pipe names', () => {
    expect(transport.parse('pipe:///run/app.sock')).toBe('/run/app.sock');
    expect(transport.parse('PIPE:///run/app.sock')).toBe('/run/app.sock');
    expect(transport.parse('pipe:///run/my%20app%3F.sock')).toBe('/run/my app?.sock');
    expect(transport.parse('pipe://%00app')).toBe('\0app');
    expect(transport.parse('pipe://\\\\.\\pipe\\app')).toBe('\\\\.\\pipe\\app');
  });

  it('formats them back: the usual path as written, NUL and URI delimiters escaped', () => {
    expect(transport.format('/run/app.sock')).toBe('pipe:///run/app.sock');
    expect(transport.format('\0app')).toBe('pipe://%00app');
    expect(transport.format('/tmp/50% #1?.sock')).toBe('pipe:///tmp/50%25%20%231%3F.sock');
    expect(transport.format('\\\\.\\pipe\\app')).toBe('pipe://\\\\.\\pipe\\app');
  });

  it('round-trips every path: parse(format(path)) is path', () => {
    fc.assert(fc.property(anyPipePath, (path) => transport.parse(transport.format(path)) === path));
  });

  it('parse throws a TypeError naming the problem', () => {
    const problems: [string, RegExp][] = [
      ['tcp://127.0.0.1:7000', /the scheme is "tcp", expected "pipe"/],
      ['/run/app.sock', /expected a URI like "pipe:\/\/\/run\/app.sock"/],
      ['pipe://', /it has no path/],
      ['pipe://localhost/run/app.sock', /expected an absolute path .* a host is not allowed/],
      ['pipe://relative.sock', /expected an absolute path/],
      ['pipe:///run/app.sock?mode=600', /a query or fragment is not allowed/],
      ['pipe:///run/app.sock#x', /a query or fragment is not allowed/],
      ['pipe:///run/%zz.sock', /malformed percent-encoding/],
      ['pipe:///run/a%00b.sock', /NUL byte/],
      ['pipe://%00', /no name after the prefix/],
    ];
    for (const [uri, problem] of problems) {
      expect(() => transport.parse(uri), uri).toThrow(TypeError);
      expect(() => transport.parse(uri), uri).toThrow(problem);
    }
    expect(() => transport.parse(42 as unknown as string)).toThrow(TypeError);
  });

  it('format throws a TypeError for a relative or malformed path', () => {
    expect(() => transport.format('app.sock')).toThrow(TypeError);
    expect(() => transport.format('app.sock')).toThrow(/a URI holds an absolute path/);
    expect(() => transport.format('')).toThrow(TypeError);
  });

  it('creates a PipeServer and connects a PipeClient to it at a parsed address', async () => {
    const path = transport.parse(transport.format(directory.path('t.sock')));
    const server = transport.createServer(async (conn) => {
      conn.write(await conn.readUntil('\n'));
    });
    expect(server).toBeInstanceOf(PipeServer);
    await server.bind(path);
    void server.serve();
    const client = await transport.connect(path);
    try {
      expect(client).toBeInstanceOf(PipeClient);
      client.write('via the transport\n');
      expect((await client.readUntil('\n')).toString()).toBe('via the transport\n');
    } finally {
      client.close();
      await server.close();
    }
  });

  it('connect rejects with the PipeError of the failure', async () => {
    await expect(transport.connect(directory.path('absent.sock'))).rejects.toMatchObject({ name: 'PipeError', code: 'ENOENT' });
  });
});
