import type { PipeConnection } from '@evergreen/pipe';

/** Bytes read (and discarded) per step while lingering. */
const DISCARD_CHUNK_BYTES = 64 * 1024;

/**
 * Ends a connection the server is refusing, so that the `error`
 * notification just written reaches the peer: sends what was written, then
 * FIN, and reads (discarding) whatever the peer still sends until it
 * closes its side or `timeoutMs` pass; then closes. Closing at once would
 * lose the notification whenever the peer writes meanwhile: its write
 * fails with EPIPE, and Node destroys the socket before reading what was
 * already there.
 * Never rejects. Cost: at most one 64 KiB chunk held at a time, one timer.
 */
export async function lingerAndClose(conn: PipeConnection, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => conn.close(), timeoutMs);
  try {
    conn.shutdown().catch(() => {});
    while ((await conn.readBytes(DISCARD_CHUNK_BYTES, { partial: true })).length > 0);
  } catch {
    // Closed by the timer, by the server or by the peer: nothing more to do.
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}
