/**
 * Loopback as upstream decides it: 127.0.0.0/8, `::1` and `localhost` (not its subdomains),
 * for a URL's `hostname` (an IPv6 address in brackets).
 *
 * @example
 * ```ts
 * isLoopbackHost("127.0.0.2"); // true
 * isLoopbackHost("gw.example"); // false
 * ```
 */
export function isLoopbackHost(hostname: string): boolean {
  return hostname === "localhost" || /^127\.\d+\.\d+\.\d+$/.test(hostname) ||
    hostname === "[::1]";
}

/**
 * How `gateway add` must register an mTLS gateway at `hostname` (a URL's): `--local` on a
 * loopback host, else `--remote` with the host itself as the SSH host (an IPv6 address
 * without its brackets).
 *
 * @example
 * ```ts
 * gatewayAddKind("127.0.0.1"); // ["--local"]
 * gatewayAddKind("gw.example"); // ["--remote", "gw.example"]
 * gatewayAddKind("[fd00::2]"); // ["--remote", "fd00::2"]
 * ```
 */
export function gatewayAddKind(hostname: string): ["--local"] | ["--remote", string] {
  if (isLoopbackHost(hostname)) return ["--local"];
  return ["--remote", hostname.replace(/^\[(.*)\]$/, "$1")];
}
