/** A runnable fenced block of a README: its code and the line it starts on. */
export interface ReadmeExample {
  line: number;
  code: string;
}

/** How an example's process ended and what it printed. */
export interface ExampleRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The JavaScript fenced blocks of a Markdown file, in order. */
export function readmeExamples(markdownPath: string): ReadmeExample[];

/** Runs `code` as an ES module in a child Node from `cwd`, `input` on its stdin; killed after `timeoutMs`. */
export function runExample(code: string, options: { cwd: string; input?: string; timeoutMs?: number }): Promise<ExampleRun>;
