import type { ReadmeExample } from './readme-examples.mjs';

/** The runnable examples of the README of the package whose test file is `testFileUrl`, and the package folder (`cwd`). */
export function packageExamples(testFileUrl: string): { examples: ReadmeExample[]; cwd: string };

/** Runs `code`, expects nothing on stderr and exit code 0, and resolves its stdout. */
export function runCleanly(code: string, options: { cwd: string; input?: string; timeoutMs?: number }): Promise<string>;
