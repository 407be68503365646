import { describe, expect, it } from 'vitest';
import { MAX_ABSTRACT_NAME_BYTES, MAX_UNIX_PATH_BYTES, MAX_WINDOWS_PIPE_NAME_CHARS, checkPipePath, pipePathKind } from '../src/index.js';

const bind = 'Cannot bind pipe';

describe('pipePathKind', () => {
  it('tells Unix paths, Linux abstract names and Windows pipe names apart by shape', () => {
    expect(pipePathKind('/run/app.sock')).toBe('unix');
    expect(pipePathKind('relative.sock')).toBe('unix');
    expect(pipePathKind('\0app')).toBe('abstract');
    expect(pipePathKind('\\\\.\\pipe\\app')).toBe('windows');
    expect(pipePathKind('\\\\?\\pipe\\app')).toBe('windows');
    expect(pipePathKind('\\\\.\\PIPE\\app')).toBe('windows');
  });

  it('throws a TypeError naming the problem for a malformed path', () => {
    const problems: [string, RegExp][] = [
      ['', /the path is empty/],
      ['\0', /no name after the prefix/],
      ['\\\\.\\pipe\\', /no name after the prefix/],
      ['/tmp/a\0b', /NUL byte/],
      ['\0a\0b', /NUL byte/],
    ];
    for (const [path, problem] of problems) {
      expect(() => pipePathKind(path), JSON.stringify(path)).toThrow(TypeError);
      expect(() => pipePathKind(path), JSON.stringify(path)).toThrow(problem);
    }
    expect(() => pipePathKind(7 as unknown as string)).toThrow(TypeError);
  });
});

describe('checkPipePath', () => {
  it('accepts a Unix path of exactly the limit and rejects one byte more with a RangeError', () => {
    const fits = `/${'a'.repeat(MAX_UNIX_PATH_BYTES - 1)}`;
    expect(checkPipePath(fits, bind)).toBe('unix');
    expect(() => checkPipePath(`${fits}b`, bind)).toThrow(RangeError);
    expect(() => checkPipePath(`${fits}b`, bind)).toThrow(`it is ${MAX_UNIX_PATH_BYTES + 1} bytes long, over the limit of ${MAX_UNIX_PATH_BYTES}`);
  });

  it('counts bytes, not characters: a multi-byte name reaches the limit sooner', () => {
    const path = `/${'é'.repeat(Math.ceil(MAX_UNIX_PATH_BYTES / 2))}`;
    expect(path.length).toBeLessThan(MAX_UNIX_PATH_BYTES);
    expect(() => checkPipePath(path, bind)).toThrow(RangeError);
  });

  it('uses 107 bytes on Linux and 103 on macOS, as their sun_path sizes give', () => {
    const path = `/${'a'.repeat(104)}`;
    expect(checkPipePath(path, bind, 'linux')).toBe('unix');
    expect(() => checkPipePath(path, bind, 'darwin')).toThrow(RangeError);
    expect(() => checkPipePath(path, bind, 'darwin')).toThrow(/over the limit of 103/);
  });

  it('accepts abstract names on Linux up to the whole sun_path, and nowhere else', () => {
    const longest = `\0${'n'.repeat(MAX_ABSTRACT_NAME_BYTES - 1)}`;
    expect(checkPipePath(longest, bind, 'linux')).toBe('abstract');
    expect(() => checkPipePath(`${longest}n`, bind, 'linux')).toThrow(RangeError);
    expect(() => checkPipePath('\0app', bind, 'darwin')).toThrow(TypeError);
    expect(() => checkPipePath('\0app', bind, 'darwin')).toThrow('Cannot bind pipe "\\0app": abstract names exist only on Linux');
  });

  it('accepts Windows pipe names only on Windows, up to 256 characters, and only them there', () => {
    const name = `\\\\.\\pipe\\${'w'.repeat(MAX_WINDOWS_PIPE_NAME_CHARS - 9)}`;
    expect(name.length).toBe(MAX_WINDOWS_PIPE_NAME_CHARS);
    expect(checkPipePath(name, bind, 'win32')).toBe('windows');
    expect(() => checkPipePath(`${name}w`, bind, 'win32')).toThrow(RangeError);
    expect(() => checkPipePath(name, bind, 'linux')).toThrow(TypeError);
    expect(() => checkPipePath(name, bind, 'linux')).toThrow(/Windows pipe names exist only on Windows/);
    expect(() => checkPipePath('/run/app.sock', bind, 'win32')).toThrow(TypeError);
    expect(() => checkPipePath('\0app', bind, 'win32')).toThrow(TypeError);
  });
});
