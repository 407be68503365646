export { errorcode, strerror, errnoOf, findErrno } from './system-error-map.js';
export * from './constants.js';
