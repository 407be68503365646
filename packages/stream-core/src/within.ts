/**
 * Resolves when `promise` settles (either way) or `ms` have passed, whichever
 * is first; never rejects. The bound of every "let it finish, but not for
 * ever" wait: a drain, a flush before close. Cost: one timer, cleared when
 * the promise settles first.
 */
export function within(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}
