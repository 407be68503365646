/**
 * The control protocol revision `hello` reports: raised on every incompatible
 * change of a method. Its own module so evergreenctl can compare it without
 * loading the method schemas (and zod).
 */
export const PROTOCOL_VERSION = 1;
