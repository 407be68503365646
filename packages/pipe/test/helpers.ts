import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * A temporary directory under `os.tmpdir()` for this test file, removed
 * after its tests; `path(name)` names a file in it.
 */
export function temporaryDirectory(prefix: string): { readonly root: string; path(name: string): string } {
  const root = mkdtempSync(join(tmpdir(), `evergreen-${prefix}-`));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return { root, path: (name) => join(root, name) };
}
