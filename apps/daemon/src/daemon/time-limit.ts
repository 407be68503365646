/**
 * Settles as `promise` does, or rejects with `late()`'s error once `ms` have
 * passed first. `promise` itself goes on (nothing can stop it); what it
 * settles with afterwards is ignored, a rejection included.
 *
 * Cost: one timer, cleared when `promise` settles in time.
 */
export function timeLimit<T>(promise: Promise<T>, ms: number, late: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(late()), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
