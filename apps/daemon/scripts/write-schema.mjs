// Writes the config's JSON Schema, generated from the zod definitions in
// dist/, to the file named on the command line (the build writes
// dist/evergreend.schema.json; `npm run schema` refreshes the checked-in copy,
// which a test keeps equal to the generated one).
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../dist/daemon/config/config-json-schema.js';

const [file] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node scripts/write-schema.mjs OUTPUT.json');
writeFileSync(file, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
