/** A record delimiter as callers pass it: a string (UTF-8) or bytes. */
export type Delimiter = string | Uint8Array;

let lastText = '\n';
let lastBytes: Uint8Array = Buffer.from(lastText);

/**
 * The bytes of a delimiter. Strings are encoded as UTF-8; the last string
 * seen is cached, so a loop on `readUntil('\n')` encodes it once. Throws
 * `TypeError` for an empty delimiter or one that is neither string nor bytes.
 */
export function delimiterBytes(delimiter: Delimiter): Uint8Array {
  if (typeof delimiter === 'string') {
    if (delimiter !== lastText) {
      if (delimiter.length === 0) throw new TypeError('Cannot search for an empty delimiter');
      lastBytes = Buffer.from(delimiter);
      lastText = delimiter;
    }
    return lastBytes;
  }
  if (!(delimiter instanceof Uint8Array)) throw new TypeError('Cannot search for the delimiter: expected a string or a Uint8Array');
  if (delimiter.length === 0) throw new TypeError('Cannot search for an empty delimiter');
  return delimiter;
}
