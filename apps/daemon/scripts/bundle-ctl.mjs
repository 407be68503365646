// Bundles evergreenctl (dist/ctl/main.js and what it imports: commander,
// msgpackr, the transports) into dist/evergreenctl/, which bin/evergreenctl.mjs
// runs. A CLI is started again and again, and Node's ES module loader pays
// per file (resolve, read, compile, link): a few files start much faster than
// the ~70 tsc writes. A plain `status`, run most, is one file (main.js) that
// loads no commander; every other command line goes to the commander program
// (program.js), whose command modules stay chunks of their own, loaded on
// demand, so no command pays for zod or the terminal code of `top` unless
// it uses them. Also writes dist/evergreenctl/meta.json (esbuild's metafile: which
// sources went into which file), for the test that checks what a command
// loads. Run by `npm run build` and the test setup, after tsc.
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'evergreenctl');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
// msgpackr's Node entry first tries to load a native addon (msgpackr-extract,
// found through node-gyp-build's search of the disk) that only speeds up
// decoding long strings: the CLI takes its pure JavaScript entry, the one
// msgpackr gives other platforms.
const msgpackrPure = join(dirname(createRequire(import.meta.url).resolve('msgpackr')), '..', 'index.js');

/** In main.js's build: main.ts's import of program.js stays an import of the program build's entry. */
const programApart = {
  name: 'evergreenctl-program-apart',
  setup(bundle) {
    bundle.onResolve({ filter: /^\.\/program\.js$/ }, () => ({ path: './program.js', external: true }));
  },
};

/** Bundle-time answers to what dist/ resolves at run time relative to its own files. */
const bundleTime = {
  name: 'evergreenctl-bundle-time',
  setup(bundle) {
    bundle.onResolve({ filter: /^msgpackr$/ }, () => ({ path: msgpackrPure }));
    // version.js reads ../package.json next to itself; the bundle lives a level deeper.
    bundle.onLoad({ filter: /[\\/]dist[\\/]version\.js$/ }, () => ({ contents: `export const VERSION = ${JSON.stringify(version)};`, loader: 'js' }));
  },
};

/** What both builds share. */
const common = {
  outdir,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // commander is CommonJS and requires Node's modules: an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __evergreenRequire } from 'node:module'; const require = __evergreenRequire(import.meta.url);" },
  // Without comments and spaces: less for Node to read, hash and parse at each start.
  minifyWhitespace: true,
  metafile: true,
  logLevel: 'warning',
};

rmSync(outdir, { recursive: true, force: true });
// The commander program and every command: chunks loaded on demand.
const program = await build({ ...common, entryPoints: { program: join(root, 'dist', 'ctl', 'program.js') }, splitting: true, plugins: [bundleTime] });
// main.js: one file holding all a plain `status` runs (main.ts), as Node pays
// for each file it resolves and loads; it imports program.js for the rest.
// program.js has its own copies of what both use: the two share no objects.
const main = await build({ ...common, entryPoints: { main: join(root, 'dist', 'ctl', 'main.js') }, plugins: [bundleTime, programApart] });
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(mergedMetafile(program.metafile, main.metafile)));

/** Both builds' metafiles as one: every input, every output file. */
function mergedMetafile(...metafiles) {
  return { inputs: Object.assign({}, ...metafiles.map((meta) => meta.inputs)), outputs: Object.assign({}, ...metafiles.map((meta) => meta.outputs)) };
}
