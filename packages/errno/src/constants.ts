// One constant per libuv error name (the names of libuv's UV_ERRNO_MAP, which
// Node exposes through util.getSystemErrorMap()). Each value is the errno Node
// gives that error on the running platform, looked up at load, never hard-coded.
// Names every supported Node has (20.0.0 onwards) are `number`; names a later
// libuv added are `number | undefined`, undefined on a Node that lacks them.
// A name the running Node has and this list does not is still in `errorcode`
// and `findErrno`.
import { errnoOf, findErrno } from './system-error-map.js';

/** libuv `E2BIG`: argument list too long. */
export const E2BIG: number = errnoOf('E2BIG');
/** libuv `EACCES`: permission denied. */
export const EACCES: number = errnoOf('EACCES');
/** libuv `EADDRINUSE`: address already in use. */
export const EADDRINUSE: number = errnoOf('EADDRINUSE');
/** libuv `EADDRNOTAVAIL`: address not available. */
export const EADDRNOTAVAIL: number = errnoOf('EADDRNOTAVAIL');
/** libuv `EAFNOSUPPORT`: address family not supported. */
export const EAFNOSUPPORT: number = errnoOf('EAFNOSUPPORT');
/** libuv `EAGAIN`: resource temporarily unavailable. */
export const EAGAIN: number = errnoOf('EAGAIN');
/** libuv `EAI_ADDRFAMILY`: address family not supported. */
export const EAI_ADDRFAMILY: number = errnoOf('EAI_ADDRFAMILY');
/** libuv `EAI_AGAIN`: temporary failure. */
export const EAI_AGAIN: number = errnoOf('EAI_AGAIN');
/** libuv `EAI_BADFLAGS`: bad ai_flags value. */
export const EAI_BADFLAGS: number = errnoOf('EAI_BADFLAGS');
/** libuv `EAI_BADHINTS`: invalid value for hints. */
export const EAI_BADHINTS: number = errnoOf('EAI_BADHINTS');
/** libuv `EAI_CANCELED`: request canceled. */
export const EAI_CANCELED: number = errnoOf('EAI_CANCELED');
/** libuv `EAI_FAIL`: permanent failure. */
export const EAI_FAIL: number = errnoOf('EAI_FAIL');
/** libuv `EAI_FAMILY`: ai_family not supported. */
export const EAI_FAMILY: number = errnoOf('EAI_FAMILY');
/** libuv `EAI_MEMORY`: out of memory. */
export const EAI_MEMORY: number = errnoOf('EAI_MEMORY');
/** libuv `EAI_NODATA`: no address. */
export const EAI_NODATA: number = errnoOf('EAI_NODATA');
/** libuv `EAI_NONAME`: unknown node or service. */
export const EAI_NONAME: number = errnoOf('EAI_NONAME');
/** libuv `EAI_OVERFLOW`: argument buffer overflow. */
export const EAI_OVERFLOW: number = errnoOf('EAI_OVERFLOW');
/** libuv `EAI_PROTOCOL`: resolved protocol is unknown. */
export const EAI_PROTOCOL: number = errnoOf('EAI_PROTOCOL');
/** libuv `EAI_SERVICE`: service not available for socket type. */
export const EAI_SERVICE: number = errnoOf('EAI_SERVICE');
/** libuv `EAI_SOCKTYPE`: socket type not supported. */
export const EAI_SOCKTYPE: number = errnoOf('EAI_SOCKTYPE');
/** libuv `EALREADY`: connection already in progress. */
export const EALREADY: number = errnoOf('EALREADY');
/** libuv `EBADF`: bad file descriptor. */
export const EBADF: number = errnoOf('EBADF');
/** libuv `EBUSY`: resource busy or locked. */
export const EBUSY: number = errnoOf('EBUSY');
/** libuv `ECANCELED`: operation canceled. */
export const ECANCELED: number = errnoOf('ECANCELED');
/** libuv `ECHARSET`: invalid Unicode character. */
export const ECHARSET: number = errnoOf('ECHARSET');
/** libuv `ECONNABORTED`: software caused connection abort. */
export const ECONNABORTED: number = errnoOf('ECONNABORTED');
/** libuv `ECONNREFUSED`: connection refused. */
export const ECONNREFUSED: number = errnoOf('ECONNREFUSED');
/** libuv `ECONNRESET`: connection reset by peer. */
export const ECONNRESET: number = errnoOf('ECONNRESET');
/** libuv `EDESTADDRREQ`: destination address required. */
export const EDESTADDRREQ: number = errnoOf('EDESTADDRREQ');
/** libuv `EEXIST`: file already exists. */
export const EEXIST: number = errnoOf('EEXIST');
/** libuv `EFAULT`: bad address in system call argument. */
export const EFAULT: number = errnoOf('EFAULT');
/** libuv `EFBIG`: file too large. */
export const EFBIG: number = errnoOf('EFBIG');
/** libuv `EFTYPE`: inappropriate file type or format. */
export const EFTYPE: number = errnoOf('EFTYPE');
/** libuv `EHOSTDOWN`: host is down. */
export const EHOSTDOWN: number = errnoOf('EHOSTDOWN');
/** libuv `EHOSTUNREACH`: host is unreachable. */
export const EHOSTUNREACH: number = errnoOf('EHOSTUNREACH');
/** libuv `EILSEQ`: illegal byte sequence. */
export const EILSEQ: number = errnoOf('EILSEQ');
/** libuv `EINTR`: interrupted system call. */
export const EINTR: number = errnoOf('EINTR');
/** libuv `EINVAL`: invalid argument. */
export const EINVAL: number = errnoOf('EINVAL');
/** libuv `EIO`: i/o error. */
export const EIO: number = errnoOf('EIO');
/** libuv `EISCONN`: socket is already connected. */
export const EISCONN: number = errnoOf('EISCONN');
/** libuv `EISDIR`: illegal operation on a directory. */
export const EISDIR: number = errnoOf('EISDIR');
/** libuv `ELOOP`: too many symbolic links encountered. */
export const ELOOP: number = errnoOf('ELOOP');
/** libuv `EMFILE`: too many open files. */
export const EMFILE: number = errnoOf('EMFILE');
/** libuv `EMLINK`: too many links. */
export const EMLINK: number = errnoOf('EMLINK');
/** libuv `EMSGSIZE`: message too long. */
export const EMSGSIZE: number = errnoOf('EMSGSIZE');
/** libuv `ENAMETOOLONG`: name too long. */
export const ENAMETOOLONG: number = errnoOf('ENAMETOOLONG');
/** libuv `ENETDOWN`: network is down. */
export const ENETDOWN: number = errnoOf('ENETDOWN');
/** libuv `ENETUNREACH`: network is unreachable. */
export const ENETUNREACH: number = errnoOf('ENETUNREACH');
/** libuv `ENFILE`: file table overflow. */
export const ENFILE: number = errnoOf('ENFILE');
/** libuv `ENOBUFS`: no buffer space available. */
export const ENOBUFS: number = errnoOf('ENOBUFS');
/** libuv `ENODATA`: no data available. Undefined on a Node whose libuv predates it (Node 20.0.0 lacks it). */
export const ENODATA: number | undefined = findErrno('ENODATA');
/** libuv `ENODEV`: no such device. */
export const ENODEV: number = errnoOf('ENODEV');
/** libuv `ENOENT`: no such file or directory. */
export const ENOENT: number = errnoOf('ENOENT');
/** libuv `ENOEXEC`: exec format error. Undefined on a Node whose libuv predates it (Node 20 and 22.0 lack it; Node 24 has it). */
export const ENOEXEC: number | undefined = findErrno('ENOEXEC');
/** libuv `ENOMEM`: not enough memory. */
export const ENOMEM: number = errnoOf('ENOMEM');
/** libuv `ENONET`: machine is not on the network. */
export const ENONET: number = errnoOf('ENONET');
/** libuv `ENOPROTOOPT`: protocol not available. */
export const ENOPROTOOPT: number = errnoOf('ENOPROTOOPT');
/** libuv `ENOSPC`: no space left on device. */
export const ENOSPC: number = errnoOf('ENOSPC');
/** libuv `ENOSYS`: function not implemented. */
export const ENOSYS: number = errnoOf('ENOSYS');
/** libuv `ENOTCONN`: socket is not connected. */
export const ENOTCONN: number = errnoOf('ENOTCONN');
/** libuv `ENOTDIR`: not a directory. */
export const ENOTDIR: number = errnoOf('ENOTDIR');
/** libuv `ENOTEMPTY`: directory not empty. */
export const ENOTEMPTY: number = errnoOf('ENOTEMPTY');
/** libuv `ENOTSOCK`: socket operation on non-socket. */
export const ENOTSOCK: number = errnoOf('ENOTSOCK');
/** libuv `ENOTSUP`: operation not supported on socket. */
export const ENOTSUP: number = errnoOf('ENOTSUP');
/** libuv `ENOTTY`: inappropriate ioctl for device. */
export const ENOTTY: number = errnoOf('ENOTTY');
/** libuv `ENXIO`: no such device or address. */
export const ENXIO: number = errnoOf('ENXIO');
/** libuv `EOF`: end of file. */
export const EOF: number = errnoOf('EOF');
/** libuv `EOVERFLOW`: value too large for defined data type. */
export const EOVERFLOW: number = errnoOf('EOVERFLOW');
/** libuv `EPERM`: operation not permitted. */
export const EPERM: number = errnoOf('EPERM');
/** libuv `EPIPE`: broken pipe. */
export const EPIPE: number = errnoOf('EPIPE');
/** libuv `EPROTO`: protocol error. */
export const EPROTO: number = errnoOf('EPROTO');
/** libuv `EPROTONOSUPPORT`: protocol not supported. */
export const EPROTONOSUPPORT: number = errnoOf('EPROTONOSUPPORT');
/** libuv `EPROTOTYPE`: protocol wrong type for socket. */
export const EPROTOTYPE: number = errnoOf('EPROTOTYPE');
/** libuv `ERANGE`: result too large. */
export const ERANGE: number = errnoOf('ERANGE');
/** libuv `EREMOTEIO`: remote I/O error. */
export const EREMOTEIO: number = errnoOf('EREMOTEIO');
/** libuv `EROFS`: read-only file system. */
export const EROFS: number = errnoOf('EROFS');
/** libuv `ESHUTDOWN`: cannot send after transport endpoint shutdown. */
export const ESHUTDOWN: number = errnoOf('ESHUTDOWN');
/** libuv `ESOCKTNOSUPPORT`: socket type not supported. */
export const ESOCKTNOSUPPORT: number = errnoOf('ESOCKTNOSUPPORT');
/** libuv `ESPIPE`: invalid seek. */
export const ESPIPE: number = errnoOf('ESPIPE');
/** libuv `ESRCH`: no such process. */
export const ESRCH: number = errnoOf('ESRCH');
/** libuv `ETIMEDOUT`: connection timed out. */
export const ETIMEDOUT: number = errnoOf('ETIMEDOUT');
/** libuv `ETXTBSY`: text file is busy. */
export const ETXTBSY: number = errnoOf('ETXTBSY');
/** libuv `EUNATCH`: protocol driver not attached. Undefined on a Node whose libuv predates it (Node 20.0.0 lacks it). */
export const EUNATCH: number | undefined = findErrno('EUNATCH');
/** libuv `EXDEV`: cross-device link not permitted. */
export const EXDEV: number = errnoOf('EXDEV');
/** libuv `UNKNOWN`: unknown error. */
export const UNKNOWN: number = errnoOf('UNKNOWN');
