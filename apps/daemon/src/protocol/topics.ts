/**
 * The event topics a client may subscribe to: `servers` (a server bound,
 * paused, failed …), `connections` (opened, closed) and `log` (the daemon's
 * log records). Kept apart from methods.ts so evergreenctl can name them
 * without loading the method schemas (and zod).
 */
export const TOPICS = ['servers', 'connections', 'log'] as const;

/** One of {@link TOPICS}. */
export type Topic = (typeof TOPICS)[number];
