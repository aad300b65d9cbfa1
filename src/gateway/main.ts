/**
 * The gateway server that runs inside the container: `Deno.serve` on the given address,
 * `GET /healthz` and `GET /v1/info`, state under `/var/lib/openshell`, JSON log lines on
 * stdout, clean shutdown on SIGTERM or SIGINT. It imports nothing of the CLI and no npm
 * package, because it runs from the read-only mounted source with `deno run --no-config`.
 *
 * @module
 */
import { createGatewayHandler } from "./gateway_handler.ts";
import { log } from "./gateway_log.ts";
import { parseGatewayOptions } from "./gateway_options.ts";
import { incrementStartCounter } from "./start_counter.ts";

/** Exit status when the arguments are wrong. */
const EXIT_USAGE = 2;
/** Exit status when the gateway cannot start. */
const EXIT_FAILURE = 1;

/**
 * Runs the gateway server with its command-line arguments until SIGTERM or SIGINT; returns
 * the exit status: 0 after a clean shutdown, 1 when it cannot start, 2 on bad arguments.
 *
 * @example
 * ```ts
 * Deno.exit(await runGateway(["--listen", "127.0.0.1:8090", "--name", "local"]));
 * ```
 */
export async function runGateway(args: string[]): Promise<number> {
  const startedAt = Date.now();
  let options;
  try {
    options = parseGatewayOptions(args);
  } catch (error) {
    log("error", "Invalid arguments", { error: (error as Error).message });
    return EXIT_USAGE;
  }
  let token: string;
  let starts: number;
  try {
    token = (await Deno.readTextFile(options.tokenFile)).trim();
    if (token === "") throw new Error(`Token file "${options.tokenFile}" is empty`);
    starts = await incrementStartCounter(
      options.stateDir,
      (reason) => log("warn", "Start counter reset", { reason }),
    );
  } catch (error) {
    log("error", "Cannot start", { error: (error as Error).message });
    return EXIT_FAILURE;
  }
  const identity = {
    name: options.name,
    version: options.version,
    pid: Deno.pid,
    uid: uid(),
    starts,
  };
  const handler = createGatewayHandler({ identity, token, startedAt });
  const shutdown = new AbortController();
  const onSignal = (signal: Deno.Signal) => () => {
    log("info", "Shutting down", { signal });
    shutdown.abort();
  };
  const listeners = (["SIGTERM", "SIGINT"] as const).map((signal) => {
    const listener = onSignal(signal);
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  try {
    const server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      signal: shutdown.signal,
      onListen: ({ hostname, port }) => {
        log("info", "Listening", { name: options.name, hostname, port, pid: Deno.pid, starts });
      },
      onError: (error) => {
        log("error", "Request failed", { error: (error as Error).message });
        return new Response('{"error":"Internal error"}\n', { status: 500 });
      },
    }, async (request) => {
      const response = await handler(request);
      const path = new URL(request.url).pathname;
      if (path !== "/healthz" || response.status !== 200) {
        log("info", "Request", { method: request.method, path, status: response.status });
      }
      return response;
    });
    await server.finished;
  } catch (error) {
    log("error", "Cannot listen", {
      address: `${options.hostname}:${options.port}`,
      error: (error as Error).message,
    });
    return EXIT_FAILURE;
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
  log("info", "Stopped", { uptime_seconds: (Date.now() - startedAt) / 1000 });
  return 0;
}

function uid(): number {
  try {
    return Deno.uid() ?? -1;
  } catch {
    return -1; // no --allow-sys=uid
  }
}

if (import.meta.main) Deno.exit(await runGateway(Deno.args));
