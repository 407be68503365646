import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHostPortURI, parseHostPortURI, type HostPort } from '../src/index.js';

const scheme = fc.constantFrom('tcp', 'udp');
const port = fc.integer({ min: 0, max: 65535 });
const name = fc.domain();
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6();
const host = fc.oneof(name, ipv4, ipv6);

/** What a URI parses to, or the class of what it throws. */
function outcome(uri: string, s: string): HostPort | string {
  try {
    return parseHostPortURI(uri, s);
  } catch (error) {
    return (error as Error).constructor.name;
  }
}

describe('scheme://host:port URIs', () => {
  it.each([
    ['tcp://127.0.0.1:7000', { host: '127.0.0.1', port: 7000 }],
    ['tcp://[::1]:7000', { host: '::1', port: 7000 }],
    ['tcp://localhost:0', { host: 'localhost', port: 0 }],
    ['TCP://Example.TEST:80', { host: 'Example.TEST', port: 80 }],
    ['tcp://127.0.0.1:65535/', { host: '127.0.0.1', port: 65535 }],
    ['tcp://[::ffff:127.0.0.1]:9', { host: '::ffff:127.0.0.1', port: 9 }],
    ['tcp://[::FFFF:7f00:1]:9/', { host: '::FFFF:7f00:1', port: 9 }],
    ['tcp://my_host-1.local:007', { host: 'my_host-1.local', port: 7 }],
  ])('parses %j, keeping the host as written', (uri, expected) => {
    expect(parseHostPortURI(uri, 'tcp')).toEqual(expected);
  });

  it.each([
    ['udp://127.0.0.1:7000', /the scheme is "udp", expected "tcp"/],
    ['127.0.0.1:7000', /not a valid URI \(expected "tcp:\/\/host:port"\)/],
    ['tcp:7000', /it has no host/],
    ['tcp://:7000', /it has no host/],
    ['tcp://127.0.0.1', /it has no port/],
    ['tcp://127.0.0.1:', /it has no port/],
    ['tcp://[::1]', /it has no port/],
    ['tcp://127.0.0.1:http', /the port "http" is not a number/],
    ['tcp://127.0.0.1:+80', /the port "\+80" is not a number/],
    ['tcp://127.0.0.1:65536', /the port 65536 is out of range 0\.\.65535/],
    ['tcp://127.0.0.1:7000/path', /a path \("\/path"\) is not allowed/],
    ['tcp://127.0.0.1:7000//', /a path \("\/\/"\) is not allowed/],
    ['tcp://127.0.0.1:7000?backlog=5', /a query \("\?backlog=5"\) is not allowed/],
    ['tcp://127.0.0.1:7000#x', /a fragment \("#x"\) is not allowed/],
    ['tcp://user:secret@127.0.0.1:7000', /credentials are not allowed/],
    ['tcp://::1:7000', /an IPv6 host must be bracketed, as in tcp:\/\/\[::1\]:7000/],
    ['tcp://[127.0.0.1]:7000', /"127.0.0.1" in brackets is not an IPv6 address/],
    ['tcp://[::1:7000', /the "\[" of an IPv6 host is never closed/],
    ['tcp://[::1]x:7000', /expected ":port" after the host/],
    ['tcp://[fe80::1%25eth0]:7000', /has a zone or an escape/],
    ['tcp://a b:7000', /the host "a b" is not a name/],
    ['tcp://bücher.test:7000', /the host "bücher.test" is not a name/],
  ])('refuses %j with a TypeError naming the problem', (uri, problem) => {
    expect(() => parseHostPortURI(uri, 'tcp')).toThrow(TypeError);
    expect(() => parseHostPortURI(uri, 'tcp')).toThrow(problem);
  });

  it('refuses a non-string with a TypeError', () => {
    expect(() => parseHostPortURI(7000 as never, 'tcp')).toThrow(TypeError);
  });

  it('formats IPv6 literals in brackets and refuses what no URI can hold', () => {
    expect(formatHostPortURI('tcp', { host: '::1', port: 7000 })).toBe('tcp://[::1]:7000');
    expect(formatHostPortURI('udp', { host: 'localhost', port: 0 })).toBe('udp://localhost:0');
    expect(() => formatHostPortURI('tcp', { host: 'fe80::1%eth0', port: 1 })).toThrow(TypeError);
    expect(() => formatHostPortURI('tcp', { host: '', port: 1 })).toThrow(TypeError);
    expect(() => formatHostPortURI('tcp', { host: 'a b', port: 1 })).toThrow(TypeError);
    expect(() => formatHostPortURI('tcp', { host: 'x', port: 65536 })).toThrow(RangeError);
    expect(() => formatHostPortURI('tcp', { host: 'x', port: 1.5 })).toThrow(RangeError);
  });

  it('parse(format(a)) is a for every name, IPv4 and IPv6 host and every port', () => {
    fc.assert(
      fc.property(scheme, host, port, (s, h, p) => {
        expect(parseHostPortURI(formatHostPortURI(s, { host: h, port: p }), s)).toEqual({ host: h, port: p });
      }),
      { numRuns: 2000 },
    );
  });

  it('a lone trailing "/" and the case of the scheme change nothing', () => {
    fc.assert(
      fc.property(scheme, host, port, (s, h, p) => {
        const uri = formatHostPortURI(s, { host: h, port: p });
        expect(parseHostPortURI(`${uri}/`, s)).toEqual({ host: h, port: p });
        expect(parseHostPortURI(uri.replace(s, s.toUpperCase()), s)).toEqual({ host: h, port: p });
      }),
    );
  });

  it('agrees with WHATWG URL on the host and port of every well-formed URI', () => {
    fc.assert(
      fc.property(scheme, host, port, fc.boolean(), (s, h, p, slash) => {
        const uri = `${formatHostPortURI(s, { host: h, port: p })}${slash ? '/' : ''}`;
        const ours = parseHostPortURI(uri, s);
        const url = new URL(uri);
        expect(Number(url.port)).toBe(ours.port);
        // URL normalises IPv6 (::ffff:1.2.3.4 → ::ffff:102:304); ours keeps it as written: the same address.
        const same = new URL(formatHostPortURI(s, ours)).hostname;
        expect(url.hostname).toBe(same);
      }),
      { numRuns: 1000 },
    );
  });

  it('any string either parses to an address that formats back to itself, or throws a TypeError', () => {
    const piece = fc.constantFrom('tcp', 'udp', ':', '//', '/', '[', ']', '::', '1', '127.0.0.1', 'ffff', '@', '?', '#', '%', 'a', '-', '.', ' ', '65536', '0');
    const noise = fc.array(piece, { maxLength: 12 }).map((parts) => parts.join(''));
    // Near misses: each part right or wrong in one of the ways a person gets it wrong.
    const nearMiss = fc
      .tuple(
        fc.constantFrom('tcp://', 'TCP://', 'udp://', 'tcp:', 'tcp:/', ''),
        fc.constantFrom('127.0.0.1', 'a', 'a.b-c', '[::1]', '[::ffff:127.0.0.1]', '', '::1', '[127.0.0.1]', 'a b', '[::1', 'x%y', 'u@a', '[fe80::1%25x]'),
        fc.constantFrom('', ':', ':0', ':80', ':65535', ':65536', ':x', ':-1', ':007', '::1'),
        fc.constantFrom('', '/', '//', '/p', '?q', '#f', '/?'),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(noise, nearMiss), (uri) => {
        const result = outcome(uri, 'tcp');
        if (typeof result === 'string') {
          expect(result).toBe('TypeError');
        } else {
          expect(Number.isInteger(result.port) && result.port >= 0 && result.port <= 65535).toBe(true);
          expect(parseHostPortURI(formatHostPortURI('tcp', result), 'tcp')).toEqual(result);
        }
      }),
      { numRuns: 5000 },
    );
  });
});
