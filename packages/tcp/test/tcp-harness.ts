import type { StreamTransportHarness } from '@evergreen/stream-core/testing';
import type { AddressInput } from '@evergreen/stream-core';
import { TCPClient, TCPError, TCPServer } from '../src/index.js';

/** Drives the stream-core compliance suite over real TCP sockets on 127.0.0.1. */
export const tcpHarness: StreamTransportHarness<AddressInput> = {
  name: 'TCP on 127.0.0.1',
  errorClass: TCPError,
  createServer: (handler, options) => new TCPServer(handler, options),
  bindAddress: () => ({ host: '127.0.0.1', port: 0 }),
  connectAddress: (server) => (server as TCPServer).sockname,
  createClient: (options) => new TCPClient(options),
  connect: (client, address) => (client as TCPClient).connect(address),
};
