import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/** A doc of the package, its whitespace runs made single spaces (so a rewrap does not matter). */
function doc(name: string): string {
  return readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8').replace(/\s+/g, ' ');
}

describe('the docs say where the daemon and evergreenctl find the control socket', () => {
  it('control.md gives the daemon\'s order, the config\'s control.socket included (as resolvePaths does), and that clients never read the config', () => {
    const text = doc('control.md');
    expect(text).toContain("The daemon listens at `--socket`, else `EVERGREEN_SOCKET` (when set and not empty), else the config's `control.socket`, else `$XDG_RUNTIME_DIR/evergreen/control.sock`");
    expect(text).toContain('A client finds it without the config');
  });

  it('cli.md says evergreenctl does not read the config and to pass --socket or EVERGREEN_SOCKET when it sets control.socket', () => {
    const text = doc('cli.md');
    expect(text).not.toContain('the daemon looks in the same places');
    expect(text).toContain("`evergreenctl` never reads the daemon's config file");
    expect(text).toContain("when the config sets `control.socket`, tell `evergreenctl` with `--socket PATH` or `EVERGREEN_SOCKET=PATH`");
  });
});
