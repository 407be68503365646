import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatagramTransport, StreamTransport, Transport } from '@evergreen/stream-core';

/** The packages of the built-in schemes. */
export const BUILTIN_TRANSPORTS: Readonly<Record<string, string>> = {
  tcp: '@evergreen/tcp',
  tls: '@evergreen/tls',
  pipe: '@evergreen/pipe',
  udp: '@evergreen/udp',
};

/** A URI's transport cannot be had: unknown scheme, package not installed, or not a transport. */
export class TransportUnavailableError extends Error {
  /** The scheme asked for. */
  readonly scheme: string;
  /** The package (or file) that should provide it, when one is known. */
  readonly specifier: string | undefined;

  constructor(message: string, scheme: string, specifier?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransportUnavailableError';
    this.scheme = scheme;
    this.specifier = specifier;
  }
}

/**
 * Finds the transport of a URI by its scheme and loads its package with
 * `import()` on first use (once: later lookups share the load). Built in:
 * `tcp`, `tls`, `pipe`, `udp`; `extra` adds or overrides schemes with a package name
 * or a file path (relative to `baseDir`).
 *
 * Errors ({@link TransportUnavailableError}): a URI with no scheme, a scheme
 * nobody provides, a package that is not installed (the message gives the
 * `npm i` that fixes it), a module whose `transport` export is missing or is
 * not a transport for that scheme.
 */
export class TransportRegistry {
  readonly #specifiers: Map<string, string>;
  readonly #baseDir: string;
  readonly #loaded = new Map<string, Promise<Transport>>();

  constructor(extra: Readonly<Record<string, string>> = {}, baseDir = process.cwd()) {
    this.#specifiers = new Map(Object.entries({ ...BUILTIN_TRANSPORTS, ...extra }));
    this.#baseDir = baseDir;
  }

  /** The scheme of `uri` (`tcp://…` → `tcp`), lower case. */
  static schemeOf(uri: string): string {
    const match = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri);
    if (match === null) throw new TransportUnavailableError(`Cannot use "${uri}": expected a URI like "tcp://127.0.0.1:7007"`, '');
    return match[1]!.toLowerCase();
  }

  /** The transport `uri` names, loaded if need be. */
  forURI(uri: string): Promise<Transport> {
    return this.forScheme(TransportRegistry.schemeOf(uri));
  }

  /** The transport of `scheme`, loaded if need be. */
  forScheme(scheme: string): Promise<Transport> {
    let loading = this.#loaded.get(scheme);
    if (loading === undefined) {
      loading = this.#load(scheme);
      this.#loaded.set(scheme, loading);
      // A failed load is tried again next time (the package may be installed since).
      loading.catch(() => this.#loaded.delete(scheme));
    }
    return loading;
  }

  /** The stream transport of `uri`; a datagram one is an error naming both. */
  async streamTransport(uri: string): Promise<StreamTransport> {
    const transport = await this.forURI(uri);
    if (transport.kind !== 'stream') throw new TransportUnavailableError(`Cannot use "${uri}" here: a stream transport is needed and "${transport.scheme}" is a datagram one`, transport.scheme);
    return transport;
  }

  /** The datagram transport of `uri`; a stream one is an error naming both. */
  async datagramTransport(uri: string): Promise<DatagramTransport> {
    const transport = await this.forURI(uri);
    if (transport.kind !== 'datagram') throw new TransportUnavailableError(`Cannot use "${uri}" here: a datagram transport is needed and "${transport.scheme}" is a stream one`, transport.scheme);
    return transport;
  }

  async #load(scheme: string): Promise<Transport> {
    const specifier = this.#specifiers.get(scheme);
    if (specifier === undefined) {
      const known = [...this.#specifiers.keys()].join(', ');
      throw new TransportUnavailableError(`Cannot use scheme "${scheme}": no transport provides it (known: ${known}; add one under "transports" in the config)`, scheme);
    }
    let module: { transport?: unknown };
    try {
      module = (await import(this.#importable(specifier))) as { transport?: unknown };
    } catch (error) {
      const code = (error as { code?: string }).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
      const why = missing ? `the package "${specifier}" is not installed (install it with: npm i ${specifier})` : `loading "${specifier}" failed: ${(error as Error).message}`;
      throw new TransportUnavailableError(`Cannot use scheme "${scheme}": ${why}`, scheme, specifier, { cause: error });
    }
    const transport = module.transport;
    if (!isTransport(transport) || transport.scheme !== scheme) {
      throw new TransportUnavailableError(`Cannot use scheme "${scheme}": "${specifier}" does not export a "${scheme}" transport as \`transport\``, scheme, specifier);
    }
    return transport;
  }

  #importable(specifier: string): string {
    const isPath = specifier.startsWith('.') || isAbsolute(specifier);
    return isPath ? pathToFileURL(resolve(this.#baseDir, specifier)).href : specifier;
  }
}

function isTransport(value: unknown): value is Transport {
  const candidate = value as Partial<Record<string, unknown>> | null | undefined;
  if (typeof candidate !== 'object' || candidate === null) return false;
  if (typeof candidate.scheme !== 'string' || typeof candidate.parse !== 'function' || typeof candidate.format !== 'function') return false;
  if (candidate.kind === 'stream') return typeof candidate.createServer === 'function' && typeof candidate.connect === 'function';
  return candidate.kind === 'datagram' && typeof candidate.bind === 'function';
}
