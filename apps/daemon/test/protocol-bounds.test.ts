import { describe, expect, it } from 'vitest';
import { configSchema } from '../src/daemon/config/config-schema.js';
import { MAX_ARRAY_LENGTH, MAX_STRING_BYTES } from '../src/protocol/limits.js';
import { methodParams } from '../src/protocol/methods.js';

/** `count` distinct IPv4 addresses. */
function addresses(count: number): string[] {
  return Array.from({ length: count }, (_, n) => `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`);
}

const spec = { name: 'x', listen: 'tcp://127.0.0.1:0', handler: { type: 'echo' } };

describe('the method schemas agree with the decoder limits', () => {
  it('take allow/deny lists up to MAX_ARRAY_LENGTH entries and refuse one more, in servers.add, servers.update and the config', () => {
    expect(methodParams['servers.add'].safeParse({ ...spec, allow: addresses(MAX_ARRAY_LENGTH) }).success).toBe(true);
    expect(methodParams['servers.add'].safeParse({ ...spec, allow: addresses(MAX_ARRAY_LENGTH + 1) }).success).toBe(false);
    expect(methodParams['servers.update'].safeParse({ name: 'x', deny: addresses(MAX_ARRAY_LENGTH + 1) }).success).toBe(false);
    expect(configSchema.safeParse({ servers: [{ ...spec, deny: addresses(MAX_ARRAY_LENGTH + 1) }] }).success).toBe(false);
  });

  it('count a string\'s UTF-8 bytes against MAX_STRING_BYTES, as the decoder does', () => {
    const close = methodParams['connections.close'];
    const twoByteChars = 'é'.repeat(MAX_STRING_BYTES / 2);
    expect(close.safeParse({ id: twoByteChars }).success).toBe(true);
    const over = close.safeParse({ id: `${twoByteChars}x` });
    expect(over.success).toBe(false);
    expect(over.error?.issues[0]?.message).toBe(`expected at most ${MAX_STRING_BYTES} bytes (UTF-8), the control protocol's string limit`);
    expect(methodParams['servers.add'].safeParse({ ...spec, handler: { type: 'forward', target: `tcp://${'h'.repeat(MAX_STRING_BYTES)}` } }).success).toBe(false);
    expect(methodParams['connections.list'].safeParse({ source: 'x'.repeat(MAX_STRING_BYTES + 1) }).success).toBe(false);
  });
});
