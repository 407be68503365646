export { errorcode, strerror, errnoOf } from './system-error-map.js';
export * from './constants.js';
