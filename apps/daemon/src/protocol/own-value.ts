/**
 * The value `record` holds under `key` as its own property, else
 * `undefined` — never one it inherits: a server named `constructor` or
 * `toString` must not find Object.prototype's function. Use it wherever a
 * name from outside (a server's) indexes a plain object. Never throws.
 * Cost: one property check.
 */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
