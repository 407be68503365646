/** The longest delay a Node timer honours (2^31 - 1 ms, about 24.8 days); a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A size limit option (`highWaterMark`, `maxBytes`, …) checked: `fallback`
 * when undefined, else a positive integer or `Infinity`. Throws `TypeError`
 * for a value that is not a number, `RangeError` for a number out of range.
 */
export function positiveLimit(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Cannot use ${name} ${describe(value)}: expected a positive integer`);
  if (!(value > 0) || !(Number.isInteger(value) || value === Infinity)) {
    throw new RangeError(`Cannot use ${name} ${value}: expected a positive integer`);
  }
  return value;
}

/**
 * A byte count option that may be 0 (`coalesceBytes`) checked: `fallback`
 * when undefined, else a non-negative safe integer. Throws `TypeError` for a
 * value that is not a number, `RangeError` for a number out of range.
 */
export function byteCountLimit(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Cannot use ${name} ${describe(value)}: expected a non-negative integer`);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`Cannot use ${name} ${value}: expected a non-negative integer`);
  return value;
}

/**
 * A delay option in milliseconds (`drainMs`, `closeTimeoutMs`) checked:
 * `fallback` when undefined, else a number from 0 to `MAX_TIMER_MS` (a
 * longer delay would make Node's timer fire at once, cutting short what it
 * bounds). Throws `TypeError` for a value that is not a number, `RangeError`
 * for a number out of range.
 */
export function timerDelay(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Cannot use ${name} ${describe(value)}: expected a number of milliseconds`);
  if (!(value >= 0 && value <= MAX_TIMER_MS)) throw new RangeError(`Cannot use ${name} ${value}: expected 0..${MAX_TIMER_MS} milliseconds`);
  return value;
}

/** How a bad option value reads in a message (never throws, unlike `String` of some objects). */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object' && value !== null) return '(an object)';
  return typeof value === 'function' ? '(a function)' : String(value);
}
