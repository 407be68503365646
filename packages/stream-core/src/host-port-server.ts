import type { Server } from 'node:net';
import { StreamServer, listenOn, type BindOptions } from './stream-server.js';
import { formatHostPort, toHostPort, type AddressInput, type SocketAddress } from './socket-address.js';
import { listenerName } from './socket-name.js';
import type { StreamConnection } from './stream-connection.js';

/**
 * A `StreamServer` on an IP address and port — what TCP and TLS servers
 * share: `bind` takes every address shape, `sockname` reads the bound
 * address back, and errors name the address as `host:port`. Transports add
 * only how an accepted socket becomes a connection (`_createConnection`,
 * and `_handshake` if they have one).
 */
export abstract class HostPortServer<C extends StreamConnection> extends StreamServer<C, AddressInput> {
  /**
   * Listens on `address` (`{ host, port }`, `[host, port]` or
   * `{ address, port }`; port 0 picks a free port, read it back from
   * `sockname`). A name binds the first address it resolves to. Rejects as
   * `StreamServer#bind` does: `TypeError`/`RangeError` for a malformed
   * address, the transport's error (`EADDRINUSE`, `EACCES`,
   * `EADDRNOTAVAIL`, …) when it cannot be had.
   */
  override async bind(address: AddressInput, options?: BindOptions): Promise<void> {
    await super.bind(toHostPort(address), options);
  }

  /** The address the server listens on; throws the transport's error `EINVAL` before `bind`, a closed one once closed. */
  get sockname(): SocketAddress {
    return listenerName(this._listener, this._errors);
  }

  protected _listen(listener: Server, address: AddressInput, options: BindOptions): Promise<void> {
    const { host, port } = toHostPort(address);
    return listenOn(listener, { host, port, backlog: options.backlog });
  }

  protected override _describe(address: AddressInput): string {
    return formatHostPort(toHostPort(address));
  }
}
