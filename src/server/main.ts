/**
 * The gateway server that runs inside the container: on the given address, `GET /healthz`
 * and `GET /v1/info` over HTTP/1.1 and HTTP/2, and the gRPC methods `Health` and
 * `GetGatewayInfo` of `openshell.v1.OpenShell` over HTTP/2, in plaintext (h2c) or, given TLS
 * files, over TLS with client certificates checked (mTLS); state under
 * `/var/lib/openshell`, JSON log lines on stdout (rejections rate-limited), clean shutdown on
 * SIGTERM or SIGINT. Given a launcher's challenge, it writes the ready line on stderr once it
 * listens (see `contract/launch_proof.ts`). It imports nothing of the CLI and no npm package
 * (protobuf comes from the generated `_protocol_bundle.js`, loaded with HTTP/2 on the first
 * HTTP/2 connection), because it runs from the read-only mounted source with
 * `deno run --no-config`.
 *
 * @module
 */
import { GRPC_SERVICE_PATH, GrpcStatus, launchProof, readyLine } from "../contract/mod.ts";
import { createGatewayHandler } from "./_gateway_handler.ts";
import { log } from "./_gateway_log.ts";
import { parseGatewayOptions } from "./_gateway_options.ts";
import { serveGateway } from "./_gateway_server.ts";
import { tlsListenLimits } from "./_limits.ts";
import { createRejectionLog } from "./_rejection_log.ts";
import type { Answer, TlsListen } from "./_served_connection.ts";
import { incrementStartCounter } from "./_start_counter.ts";

/** Exit status when the arguments are wrong. */
const EXIT_USAGE = 2;
/** Exit status when the gateway cannot start. */
const EXIT_FAILURE = 1;

/** The API token: the file's text, trimmed; what the gateway's user needs said when unreadable. */
async function readToken(path: string): Promise<string> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
    throw new Error(
      `${error.message}: the gateway runs as uid ${uid()}, which must be able to read the ` +
        `token file (make it owned by uid ${uid()}, or readable by all)`,
    );
  }
  const token = text.trim();
  if (token === "") throw new Error(`Token file "${path}" is empty`);
  return token;
}

/**
 * Runs the gateway server with its command-line arguments until SIGTERM or SIGINT; returns
 * the exit status: 0 after a clean shutdown, 1 when it cannot start, 2 on bad arguments.
 *
 * @example
 * ```ts
 * import { runGateway } from "./mod.ts";
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
  let tls: TlsListen | undefined;
  let maxConnections = options.maxConnections;
  try {
    token = await readToken(options.tokenFile);
    if (options.tlsCert && options.tlsKey && options.tlsClientCa) {
      const [cert, key, clientCa] = await Promise.all(
        [options.tlsCert, options.tlsKey, options.tlsClientCa].map((file) =>
          Deno.readTextFile(file)
        ),
      );
      const { createTlsListen } = await import("./_tls_connection.ts");
      const limits = tlsListenLimits(options.openFiles, options.maxConnections);
      tls = createTlsListen({ cert: cert!, key: key!, clientCa: clientCa! }, limits.backlog);
      maxConnections = limits.cap;
    }
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
  // Behind mTLS every request comes with a client certificate the CA signed: that is its login.
  const clientCertificates = tls !== undefined;
  const handler = createGatewayHandler({ identity, token, startedAt, clientCertificates });
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
  const rejections = createRejectionLog(log, options.rejectionLogIntervalMs);
  try {
    const server = await serveGateway({
      hostname: options.hostname,
      port: options.port,
      handler,
      grpc: { identity, token, clientCertificates },
      tls,
      idleTimeoutMs: options.idleTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs,
      maxConnections,
      signal: shutdown.signal,
      onAnswer: (answer) => logAnswer(answer, rejections),
      onClosed: (reason, error) =>
        rejections.record("warn", "Connection closed", reason, { reason, error }),
    });
    const { hostname, port } = server.addr;
    log("info", "Listening", {
      name: options.name,
      hostname,
      port,
      tls: clientCertificates ? "mtls" : "none",
      pid: Deno.pid,
      starts,
      max_connections: maxConnections,
    });
    if (options.readyChallenge !== undefined) {
      // The launcher's stderr, through the runtime: the launcher waits for this line.
      const proof = await launchProof(token, options.readyChallenge);
      Deno.stderr.writeSync(new TextEncoder().encode(readyLine(proof)));
    }
    await server.finished;
  } catch (error) {
    log("error", "Cannot listen", {
      address: `${options.hostname}:${options.port}`,
      error: (error as Error).message,
    });
    return EXIT_FAILURE;
  } finally {
    rejections.flush();
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
  log("info", "Stopped", { uptime_seconds: (Date.now() - startedAt) / 1000 });
  return 0;
}

/** Health checks succeed unlogged, the rest is logged; rejections through the rate limit. */
function logAnswer(answer: Answer, rejections: ReturnType<typeof createRejectionLog>): void {
  const { method, path, status, grpcStatus, error } = answer;
  const ok = status < 400 && (grpcStatus === undefined || grpcStatus === GrpcStatus.OK);
  if (ok && (path === "/healthz" || path === `${GRPC_SERVICE_PATH}Health`)) return;
  const fields = {
    protocol: answer.protocol,
    method,
    path,
    status,
    grpc_status: grpcStatus,
    error,
  };
  if (ok) {
    log("info", "Request", fields);
    return;
  }
  rejections.record(
    "info",
    "Request",
    String(grpcStatus === undefined ? status : `grpc ${grpcStatus}`),
    fields,
  );
}

function uid(): number {
  try {
    return Deno.uid() ?? -1;
  } catch {
    return -1; // no --allow-sys=uid
  }
}

if (import.meta.main) Deno.exit(await runGateway(Deno.args));
