/**
 * The launcher's readiness probe: `GET /healthz` over a plain TCP connection, one request
 * per connection. Polling with `fetch` would set up an HTTP client (several milliseconds of
 * CPU) while the container is starting on the same cores; a refused connection costs next
 * to nothing.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The first line of an HTTP/1.x response: whether it is a 200. */
export function isOkStatusLine(head: string): boolean {
  return /^HTTP\/1\.[01] 200 /.test(head);
}

/**
 * Asks `hostname:port` for `GET path` once; true on a 200 answer, false when nothing
 * listens, the answer is another status, or it takes longer than `timeoutMs`.
 *
 * @example
 * ```ts
 * await probeHealth({ hostname: "127.0.0.1", port: 8090 }, "/healthz"); // true once up
 * ```
 */
export async function probeHealth(
  address: { hostname: string; port: number },
  path: string,
  timeoutMs = 2000,
): Promise<boolean> {
  let connection: Deno.TcpConn | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      closeQuietly(connection); // unblocks a pending read
      resolve(false);
    }, timeoutMs);
  });
  const asked = askOnce(address, path, (opened) => (connection = opened));
  try {
    return await Promise.race([asked, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

async function askOnce(
  address: { hostname: string; port: number },
  path: string,
  opened: (connection: Deno.TcpConn) => void,
): Promise<boolean> {
  let connection: Deno.TcpConn | undefined;
  try {
    connection = await Deno.connect({ hostname: address.hostname, port: address.port });
    opened(connection);
    const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
    const request = `GET ${path} HTTP/1.1\r\nHost: ${host}:${address.port}\r\n` +
      "Connection: close\r\n\r\n";
    const bytes = encoder.encode(request);
    for (let written = 0; written < bytes.length;) {
      written += await connection.write(bytes.subarray(written));
    }
    let head = "";
    const buffer = new Uint8Array(256);
    while (!head.includes("\r\n")) {
      const count = await connection.read(buffer);
      if (count === null) break;
      head += decoder.decode(buffer.subarray(0, count));
    }
    return isOkStatusLine(head);
  } catch {
    return false; // not listening yet, reset, or closed by the timeout
  } finally {
    closeQuietly(connection);
  }
}

function closeQuietly(connection: Deno.TcpConn | undefined): void {
  try {
    connection?.close();
  } catch {
    // already closed
  }
}
