import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
/** The repository this package lives in. */
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** What `npm pack --dry-run --json` says of one package. */
interface Packed {
  name: string;
  files: { path: string }[];
}

describe('the packages as npm packs them (built first: npm run build)', () => {
  it('ship their built code and no TypeScript build info (dist/.tsbuildinfo)', async () => {
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--workspaces'], { cwd: root, timeout: 120_000 });
    const packed = JSON.parse(stdout) as Packed[];
    const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
    expect(packed).toHaveLength(workspaces.length);
    for (const dir of workspaces) {
      const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { name: string; private?: boolean; main?: string };
      const paths = packed.find((pkg) => pkg.name === manifest.name)!.files.map((file) => file.path);
      // A published package ships what `main` names: the check below then looked at a built dist.
      if (manifest.private !== true) expect(paths, manifest.name).toContain(manifest.main!.replace(/^\.\//, ''));
      expect(paths.filter((path) => path.includes('tsbuildinfo')), manifest.name).toEqual([]);
    }
  });
});
