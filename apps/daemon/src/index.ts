export { VERSION } from './version.js';
export { RpcClient } from './ctl/rpc-client.js';
export type { RpcClientConnectOptions } from './ctl/rpc-client.js';
export type { RpcNotificationEvent } from './ctl/notification-queue.js';
export { DaemonNotRunningError } from './ctl/daemon-not-running-error.js';
export { DaemonAccessError } from './ctl/daemon-access-error.js';
export { DaemonDisconnectedError } from './ctl/daemon-disconnected-error.js';
export { RpcError, RpcErrorCode } from './protocol/rpc-error.js';
export type { RpcErrorObject, RpcErrorCodeNumber } from './protocol/rpc-error.js';
