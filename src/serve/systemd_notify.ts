/**
 * Readiness for systemd (`Type=notify`): a serve started by a service manager that set
 * `NOTIFY_SOCKET` tells it `READY=1` once its gateway answers, or why it could not start, as
 * sd_notify(3) does: one datagram on that unix socket (a path, or an abstract name `@name`).
 *
 * @module
 */
import type { EnvLookup } from "../host/mod.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;
/** `sizeof(sockaddr_un.sun_path)` on Linux. */
const SUN_PATH_MAX = 108;

/**
 * The `sockaddr_un` for `NOTIFY_SOCKET`, or `undefined` when there is none or it is neither
 * an absolute path nor an abstract name that fits.
 *
 * @example
 * ```ts
 * notifyAddress("/run/systemd/notify")?.length; // 2 + 19 + 1
 * notifyAddress("@sd-notify")?.[2]; // 0: abstract
 * notifyAddress("relative/socket"); // undefined
 * ```
 */
export function notifyAddress(socket: string | undefined): Uint8Array | undefined {
  if (socket === undefined) return undefined;
  const abstract = socket.startsWith("@");
  if (!abstract && !socket.startsWith("/")) return undefined;
  const name = new TextEncoder().encode(abstract ? socket.slice(1) : socket);
  // A path ends with NUL inside sun_path; an abstract name starts with one and has none after.
  const pathLength = name.length + 1;
  if (name.length === 0 || name.includes(0) || pathLength > SUN_PATH_MAX) return undefined;
  const address = new Uint8Array(2 + pathLength);
  new Uint16Array(address.buffer, 0, 1)[0] = AF_UNIX; // sa_family_t, in the host's byte order
  address.set(name, abstract ? 3 : 2);
  return address;
}

/**
 * Sends `message` (`READY=1`, ...) to the service manager named by `NOTIFY_SOCKET`; `false`
 * when there is none or it could not be told.
 */
export function notifyServiceManager(message: string, env: EnvLookup): boolean {
  const address = notifyAddress(env("NOTIFY_SOCKET"));
  if (address === undefined) return false;
  const data = new TextEncoder().encode(message);
  let libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
      sendto: {
        parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
        result: "isize",
      },
      close: { parameters: ["i32"], result: "i32" },
    });
  } catch {
    return false; // no glibc to call
  }
  try {
    const fd = libc.symbols.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    try {
      const sent = libc.symbols.sendto(
        fd,
        data,
        BigInt(data.length),
        MSG_NOSIGNAL,
        address,
        address.length,
      );
      return Number(sent) === data.length;
    } finally {
      libc.symbols.close(fd);
    }
  } finally {
    libc.close();
  }
}
