/**
 * Real network endpoints on 127.0.0.1 for tests: a port nobody listens on, and a small HTTP
 * server that records what it was asked.
 *
 * @module
 */

/**
 * A loopback port nobody listens on right now (bound to port 0, then released).
 *
 * @example
 * ```ts
 * const dead = `http://127.0.0.1:${freePort()}`; // connection refused
 * ```
 */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/** Whether nothing listens on 127.0.0.1:`port` now. */
export function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** A running {@linkcode serveLoopback} server; disposing it shuts the server down. */
export interface LoopbackServer extends AsyncDisposable {
  server: Deno.HttpServer<Deno.NetAddr>;
  /** `http://127.0.0.1:<port>`. */
  endpoint: string;
  /** The path of every request received, in order. */
  requests: string[];
}

/**
 * A real HTTP server on a free loopback port; `handler` answers every request.
 *
 * @example
 * ```ts
 * await using gateway = serveLoopback(() => new Response("ok"));
 * await fetch(`${gateway.endpoint}/healthz`);
 * gateway.requests; // ["/healthz"]
 * ```
 */
export function serveLoopback(
  handler: (request: Request) => Response | Promise<Response>,
): LoopbackServer {
  const requests: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    requests.push(new URL(request.url).pathname);
    return handler(request);
  });
  return {
    server,
    endpoint: `http://127.0.0.1:${server.addr.port}`,
    requests,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
    },
  };
}
