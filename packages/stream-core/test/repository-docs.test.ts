import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The repository this package lives in: its docs must stand alone there. */
const root = fileURLToPath(new URL('../../..', import.meta.url));
/** What a checkout holds but nobody writes: installs, builds, caches. */
const GENERATED = new Set(['node_modules', 'dist', '.nx', '.git', '.vitest', 'coverage']);
const TEXT = /\.(md|ts|mts|mjs|js|json|py)$|^run$/;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (GENERATED.has(entry.name)) return [];
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : TEXT.test(entry.name) && entry.name !== 'package-lock.json' ? [path] : [];
  });
}

const files = filesUnder(root);

describe('the repository documentation stands alone', () => {
  it('finds the docs it checks', () => {
    expect(files.map((file) => relative(root, file))).toEqual(expect.arrayContaining(['README.md', 'docs/api.md', 'packages/stream-core/README.md']));
  });

  it('every relative link in a Markdown file reaches a file inside the repository', () => {
    const broken: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.md'))) {
      for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:|^#/i.test(target)) continue;
        const path = resolve(dirname(file), target.replace(/#.*$/, ''));
        if (!existsSync(path) || relative(root, path).startsWith('..')) broken.push(`${relative(root, file)} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('states one Node version: every package.json, and every doc that quotes engines, says what the root package.json says', () => {
    const manifest = (dir: string) => JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { workspaces?: string[]; engines?: { node?: string } };
    const rootManifest = manifest('.');
    const wanted = rootManifest.engines?.node;
    expect(wanted).toMatch(/^>=\d+\.\d+$/);
    const workspaces = Object.fromEntries((rootManifest.workspaces ?? []).map((dir) => [dir, manifest(dir).engines?.node]));
    expect(Object.keys(workspaces)).toContain('packages/stream-core');
    expect(workspaces).toEqual(Object.fromEntries(Object.keys(workspaces).map((dir) => [dir, wanted])));
    const quoted = files
      .filter((file) => file.endsWith('.md'))
      .flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/"engines":\s*\{\s*"node":\s*"([^"]*)"/g)].map((match) => `${relative(root, file)}: ${match[1]}`));
    expect(quoted.length).toBeGreaterThan(0);
    expect(quoted.filter((statement) => !statement.endsWith(`: ${wanted}`))).toEqual([]);
  });

  it('no file names an absolute path of the machine it was written on', () => {
    const absolute = files.filter((file) => /(^|[\s`'"(])\/work\//m.test(readFileSync(file, 'utf8'))).map((file) => relative(root, file));
    expect(absolute).toEqual([]);
  });
});
