import type { Command } from 'commander';
import type { AddressInput } from '@evergreen/stream-core';
import { TransportRegistry, TransportUnavailableError } from '../../transports/transport-registry.js';
import { datagramCat } from '../datagram-cat.js';
import { streamCat } from '../stream-cat.js';
import { UsageError } from '../usage-error.js';
import { numberOrText } from '../server-flags.js';
import { clientTlsOptions, type ConnectTlsFlags } from '../connect-tls.js';

const DEFAULT_WAIT_MS = 1000;

/**
 * `evergreenctl connect URI [--wait-ms MS] [--ca FILE] [--cert FILE --key FILE] [--servername NAME]`:
 * netcat for any transport the registry knows (tcp://, tls://, pipe://,
 * udp://). A tls:// server is verified (chain and name) before a byte is
 * sent. Exit 0 when both directions end, 1 on a connection or verification
 * error, 2 for a URI no transport takes or a TLS flag off tls://.
 */
export function registerConnect(program: Command): void {
  program
    .command('connect')
    .description('netcat-style client: stdin to the address, replies to stdout; stdin\'s end half-closes (udp: one datagram per line)')
    .argument('<uri>', 'tcp://HOST:PORT, tls://HOST:PORT, pipe:///PATH or udp://HOST:PORT')
    .option('--wait-ms <ms>', `udp: how long to wait for replies after stdin ends (default ${DEFAULT_WAIT_MS})`)
    .option('--ca <file>', 'tls: CA certificates (PEM) the server must chain to (default: the system\'s)')
    .option('--cert <file>', 'tls: a client certificate (PEM) to present; needs --key')
    .option('--key <file>', 'tls: its private key (PEM)')
    .option('--servername <name>', 'tls: the name sent (SNI) and checked (default: the host when it is a name)')
    .action(async (uri: string, flags: { waitMs?: string } & ConnectTlsFlags) => {
      const waitMs = flags.waitMs === undefined ? DEFAULT_WAIT_MS : numberOrText(flags.waitMs);
      if (typeof waitMs !== 'number' || !Number.isInteger(waitMs) || waitMs < 0) throw new UsageError(`Cannot use --wait-ms ${JSON.stringify(flags.waitMs)}: expected a whole number of milliseconds >= 0`);
      const transport = await new TransportRegistry().forURI(uri).catch(asUsageError);
      let address: unknown;
      try {
        address = transport.parse(uri);
      } catch (error) {
        asUsageError(error);
      }
      const tlsOptions = clientTlsOptions(transport.scheme, flags);
      if (transport.kind === 'stream') await streamCat(transport, address, tlsOptions);
      else await datagramCat(transport, address as AddressInput, waitMs);
    });
}

/** A URI the registry or its transport rejects is a usage error. */
function asUsageError(error: unknown): never {
  if (error instanceof TransportUnavailableError || error instanceof TypeError || error instanceof RangeError) throw new UsageError((error as Error).message, { cause: error });
  throw error;
}
