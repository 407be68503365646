/** A terminal's size in character cells. */
export interface WinSize {
  columns: number;
  rows: number;
}

/**
 * Yields the terminal's size (`read()`) each time it differs from the last
 * one seen, starting from `initial`; woken by SIGWINCH, which the kernel
 * sends to the terminal's foreground process group when its size changes.
 *
 * Coalescing: a burst of resizes while the consumer is busy yields only the
 * latest size, so memory stays constant however fast the window is dragged.
 * Ends (`done`) when `closed` aborts; rejects with `signal.reason` when
 * `signal` aborts. The SIGWINCH listener exists only while the iteration
 * runs, and Node keeps no event-loop reference for it.
 */
export async function* windowResizes(
  read: () => WinSize,
  initial: WinSize,
  closed: AbortSignal,
  signal: AbortSignal | undefined,
): AsyncGenerator<WinSize, void, undefined> {
  let last = initial;
  let wake = (): void => {};
  const onWinch = (): void => wake();
  process.on('SIGWINCH', onWinch);
  try {
    for (;;) {
      signal?.throwIfAborted();
      if (closed.aborted) return;
      const size = read();
      if (size.columns !== last.columns || size.rows !== last.rows) {
        last = size;
        yield size;
      } else {
        const stopListening = whenAborted([closed, signal], () => wake());
        await new Promise<void>((resolve) => (wake = resolve));
        stopListening();
      }
    }
  } finally {
    process.off('SIGWINCH', onWinch);
  }
}

/** Calls `then` once any of `signals` aborts; returns the function that stops listening. */
function whenAborted(signals: (AbortSignal | undefined)[], then: () => void): () => void {
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  for (const s of live) s.addEventListener('abort', then, { once: true });
  return () => {
    for (const s of live) s.removeEventListener('abort', then);
  };
}
