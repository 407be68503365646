import { readFileSync, readlinkSync } from 'node:fs';

/** What a passed descriptor is, as far as hosting it goes. */
export type SocketKind =
  | { readonly scheme: 'tcp'; readonly family: 4 | 6 }
  | { readonly scheme: 'udp'; readonly family: 4 | 6 }
  /** A listening Unix stream socket; `path` is its bound name (an abstract one starts with NUL), null when unnamed. */
  | { readonly scheme: 'pipe'; readonly path: string | null };

/** `/proc/net/tcp` state of a listening socket. */
const TCP_LISTEN = '0A';
/** `/proc/net/unix` flag of a listening socket (`__SO_ACCEPTCON`). */
const UNIX_ACCEPTING = 0x10000;
const UNIX_TYPES: Readonly<Record<string, string>> = { '0001': 'stream', '0002': 'datagram', '0005': 'seqpacket' };

/**
 * Tells what descriptor `fd` is without a native addon: its socket inode
 * from `/proc/self/fd/N`, looked up in the kernel's socket tables
 * (`/proc/net/tcp`, `tcp6`, `udp`, `udp6`, `unix`) of this process's
 * network namespace. A Unix socket's table row also gives its path, which
 * Node's `address()` does not (it is null for an adopted one).
 *
 * Throws `TypeError` naming `fd` and the reason when it is not open, not a
 * socket, a TCP socket that is not listening (systemd's `Accept=yes`), a
 * Unix socket that is not a listening stream, or of another family.
 * Linux only (systemd is). Cost: reads the tables until the inode is found,
 * once per passed socket at start.
 */
export function socketKind(fd: number, proc = '/proc'): SocketKind {
  const inode = socketInode(fd, proc);
  for (const [table, scheme, family] of [['tcp', 'tcp', 4], ['tcp6', 'tcp', 6], ['udp', 'udp', 4], ['udp6', 'udp', 6]] as const) {
    const row = findRow(`${proc}/net/${table}`, 9, inode);
    if (row === undefined) continue;
    if (scheme === 'tcp' && row[3] !== TCP_LISTEN) throw new TypeError(`Cannot serve fd ${fd}: it is a connected TCP socket, not a listening one (a .socket unit with Accept=yes passes those; evergreend needs Accept=no)`);
    return { scheme, family };
  }
  const row = findRow(`${proc}/net/unix`, 6, inode);
  if (row === undefined) throw new TypeError(`Cannot serve fd ${fd}: it is a socket of a family evergreend does not serve (only TCP, UDP and Unix stream sockets)`);
  const type = UNIX_TYPES[row[4]!] ?? `type ${row[4]}`;
  if (type !== 'stream' || (parseInt(row[3]!, 16) & UNIX_ACCEPTING) === 0) throw new TypeError(`Cannot serve fd ${fd}: it is a Unix ${type} socket, not a listening stream one (ListenStream=)`);
  return { scheme: 'pipe', path: unixPath(row.slice(7).join(' ')) };
}

/** The inode of socket `fd`, from its `/proc/self/fd` link (`socket:[12345]`). */
function socketInode(fd: number, proc: string): string {
  let link: string;
  try {
    link = readlinkSync(`${proc}/self/fd/${fd}`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new TypeError(`Cannot serve fd ${fd}: ${code === 'ENOENT' ? 'it is not open' : `cannot read ${proc}/self/fd/${fd} (${code})`}`, { cause: error });
  }
  const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
  if (inode === undefined) throw new TypeError(`Cannot serve fd ${fd}: it is not a socket (${link})`);
  return inode;
}

/** The whitespace-split row of `table` whose column `column` is `inode`; undefined when none is, or the table cannot be read (no IPv6). */
function findRow(table: string, column: number, inode: string): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(table, 'latin1');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n').slice(1)) {
    const row = line.trim().split(/\s+/);
    if (row[column] === inode) return row;
  }
  return undefined;
}

/** A `/proc/net/unix` path as a pipe path: an abstract name is shown with `@` for its NUL. */
function unixPath(shown: string): string | null {
  if (shown === '') return null;
  return shown.startsWith('@') ? `\0${shown.slice(1)}` : shown;
}
