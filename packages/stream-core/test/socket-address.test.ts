import { describe, expect, it } from 'vitest';
import { toHostPort, toSocketAddress } from '../src/index.js';

describe('socket addresses', () => {
  it('accepts { host, port }, [host, port] and { address, port }', () => {
    expect(toHostPort({ host: 'localhost', port: 80 })).toEqual({ host: 'localhost', port: 80 });
    expect(toHostPort(['::1', 0])).toEqual({ host: '::1', port: 0 });
    expect(toHostPort({ address: '127.0.0.1', port: 53, family: 'IPv4' } as { address: string; port: number })).toEqual({ host: '127.0.0.1', port: 53 });
    expect(toHostPort({ host: '[::1]', port: 7 })).toEqual({ host: '::1', port: 7 });
  });

  it('rejects wrong shapes with TypeError and bad ports with RangeError', () => {
    expect(() => toHostPort('127.0.0.1:80' as never)).toThrow(TypeError);
    expect(() => toHostPort({ host: 'x', port: 70000 })).toThrow(RangeError);
    expect(() => toHostPort({ host: 'x', port: 1.5 })).toThrow(RangeError);
  });

  it('reports the family of an address', () => {
    expect(toSocketAddress({ address: '::1', port: 1, family: 'IPv6' })).toEqual({ address: '::1', port: 1, family: 'IPv6' });
    expect(toSocketAddress({ address: '127.0.0.1', port: 1, family: 4 })).toEqual({ address: '127.0.0.1', port: 1, family: 'IPv4' });
    expect(() => toSocketAddress({})).toThrow(TypeError);
  });
});
