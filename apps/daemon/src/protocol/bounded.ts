import { z } from 'zod';
import { MAX_ARRAY_LENGTH, MAX_STRING_BYTES } from './limits.js';

/**
 * Schemas held to the control protocol's decoder limits (limits.ts), so a
 * value the daemon's decoder would refuse on the wire (-32700, connection
 * closed) fails validation instead: the CLI reports it as a usage error
 * before sending, and the daemon validates the config alike.
 */

/**
 * A string of at most `MAX_STRING_BYTES` bytes in UTF-8 (the decoder counts
 * bytes, not characters). Fails with an issue saying so; never throws.
 */
export function boundedString(): z.ZodString {
  return z.string().refine((text) => Buffer.byteLength(text) <= MAX_STRING_BYTES, {
    message: `expected at most ${MAX_STRING_BYTES} bytes (UTF-8), the control protocol's string limit`,
  });
}

/** An array of `item` with at most `MAX_ARRAY_LENGTH` elements. Fails with an issue saying so; never throws. */
export function boundedArray<T extends z.ZodType>(item: T): z.ZodArray<T> {
  return z.array(item).max(MAX_ARRAY_LENGTH, `expected at most ${MAX_ARRAY_LENGTH} entries, the control protocol's array limit`);
}
