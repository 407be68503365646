import { z } from 'zod';
import { configSchema } from './config-schema.js';

/**
 * The JSON Schema of the config file, generated from the zod schema that
 * validates it (the input side: defaults are optional), so the two never
 * drift. Refinements zod cannot express in JSON Schema (unique server names,
 * CIDR syntax, strings of at most 64 KiB in UTF-8) are checked by the daemon only.
 */
export function configJsonSchema(): Record<string, unknown> {
  return { ...z.toJSONSchema(configSchema, { io: 'input' }), title: 'evergreend config' };
}
