import { describe, expect, it } from 'vitest';
import { isPeer, resolvePeer } from '../../src/handlers/upstream-peer.js';

describe('resolvePeer', () => {
  it('gives an address in the form the OS names a sender in', async () => {
    expect(await resolvePeer({ host: '127.0.0.1', port: 7 }, 'IPv4')).toEqual({ address: '127.0.0.1', port: 7, family: 'IPv4' });
    expect(await resolvePeer({ host: '0:0:0:0:0:0:0:1', port: 7 }, 'IPv6')).toEqual({ address: '::1', port: 7, family: 'IPv6' });
  });

  it('keeps the zone of a link-local address, so replies from it are still the peer', async () => {
    const peer = await resolvePeer({ host: 'fe80:0::1%lo', port: 7 }, 'IPv6');
    expect(peer.address).toBe('fe80::1%lo');
    expect(isPeer({ address: 'fe80::1%lo', port: 7, family: 'IPv6' }, peer)).toBe(true);
    expect(isPeer({ address: 'fe80::1', port: 7, family: 'IPv6' }, peer)).toBe(false);
  });
});
