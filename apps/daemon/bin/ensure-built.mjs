// In a checkout, `npm ci` installs but does not build: the first run of a
// bin builds the daemon (and the packages it references) with tsc, then
// bundles evergreenctl, once. An installed package ships dist/ and never
// gets here.

// As `require` gives it: the ES module face of node:fs reads each of its
// exports, lazy ones included, and so loads fs/promises, readline and
// streams, about a tenth of a bare `node -e 0`, on every start of evergreenctl.
const { existsSync } = process.getBuiltinModule('node:fs');

const built = ['../dist/index.js', '../dist/evergreenctl/main.js'].every((file) => existsSync(new URL(file, import.meta.url)));
if (!built) {
  // Loaded only here: evergreenctl starts without them.
  const [{ execFileSync }, { createRequire }, { fileURLToPath }] = await Promise.all([import('node:child_process'), import('node:module'), import('node:url')]);
  const root = fileURLToPath(new URL('..', import.meta.url));
  process.stderr.write('evergreen: building the daemon (first run in this checkout)...\n');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-b', 'tsconfig.json'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  execFileSync(process.execPath, ['scripts/bundle-ctl.mjs'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
}
