/**
 * Whether a gateway answers: `GET <endpoint>/healthz` with a short timeout, and a poller
 * that runs those checks in the background so the terminal UI never waits on the network.
 *
 * @module
 */
import type { GatewayStatus } from "./term_state.ts";
import { readRegularTextFile, REGISTRY_FILE_MAX_BYTES } from "../../read_regular_file.ts";

/**
 * A gateway's TLS material (PEM file paths, as stored under the user registry's
 * `gateways/<name>/mtls/`). Files that do not exist are left out of the check.
 */
export interface GatewayTls {
  /** CA certificate that signed the gateway's server certificate. */
  ca: string;
  /** Client certificate. */
  cert: string;
  /** Client key. */
  key: string;
}

/** What to check: an endpoint, and the TLS material to reach it with, if any. */
export interface HealthTarget {
  endpoint: string;
  tls?: GatewayTls | undefined;
}

/** How long one health check may take before the gateway counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 1500;

/**
 * The health URL of a gateway endpoint: the endpoint without trailing slashes, plus
 * `/healthz`.
 *
 * @example
 * ```ts
 * healthzUrl("http://127.0.0.1:8080/"); // "http://127.0.0.1:8080/healthz"
 * ```
 */
export function healthzUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/healthz`;
}

/**
 * Asks a gateway whether it is healthy: `healthy` for a 2xx answer, `unhealthy` for any
 * other answer, `unreachable` when nothing answers within `timeoutMs` (or the endpoint is
 * not a URL, or TLS fails). With `tls`, the CA it names is trusted and the client
 * certificate presented, as mTLS gateways require. Never throws.
 *
 * @example
 * ```ts
 * await checkHealth("http://127.0.0.1:8080"); // "healthy"
 * ```
 */
export async function checkHealth(
  endpoint: string,
  options: { timeoutMs?: number; signal?: AbortSignal; tls?: GatewayTls | undefined } = {},
): Promise<GatewayStatus> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? HEALTH_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let client: Deno.HttpClient | undefined;
  try {
    client = options.tls ? await tlsClient(options.tls) : undefined;
    const response = await fetch(healthzUrl(endpoint), {
      signal,
      redirect: "manual",
      ...(client ? { client } : {}),
    });
    await response.body?.cancel();
    return response.ok ? "healthy" : "unhealthy";
  } catch {
    return "unreachable";
  } finally {
    client?.close();
  }
}

/** An HTTP client with the gateway's CA and client certificate, or none when no file exists. */
async function tlsClient(tls: GatewayTls): Promise<Deno.HttpClient | undefined> {
  const [ca, cert, key] = await Promise.all([tls.ca, tls.cert, tls.key].map(readIfPresent));
  if (ca === undefined && (cert === undefined || key === undefined)) return undefined;
  return Deno.createHttpClient({
    ...(ca !== undefined ? { caCerts: [ca] } : {}),
    ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
  });
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readRegularTextFile(path, REGISTRY_FILE_MAX_BYTES);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Checks endpoints in the background and reports each answer through `onResult`.
 * {@linkcode HealthPoller.poll} returns at once; an endpoint already being checked is not
 * asked twice at the same time.
 *
 * @example
 * ```ts
 * const poller = new HealthPoller((endpoint, status) => console.log(endpoint, status));
 * poller.poll([{ endpoint: "http://127.0.0.1:8080" }]);
 * await poller.idle();
 * poller.dispose();
 * ```
 */
export class HealthPoller {
  readonly #onResult: (endpoint: string, status: GatewayStatus) => void;
  readonly #timeoutMs: number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();

  constructor(
    onResult: (endpoint: string, status: GatewayStatus) => void,
    options: { timeoutMs?: number } = {},
  ) {
    this.#onResult = onResult;
    this.#timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  }

  /** Starts a check of each endpoint that is not being checked already. */
  poll(targets: Iterable<HealthTarget>): void {
    if (this.#abort.signal.aborted) return;
    for (const { endpoint, tls } of targets) {
      if (this.#inFlight.has(endpoint)) continue;
      const check = checkHealth(endpoint, {
        timeoutMs: this.#timeoutMs,
        signal: this.#abort.signal,
        tls,
      }).then((status) => {
        this.#inFlight.delete(endpoint);
        if (!this.#abort.signal.aborted) this.#onResult(endpoint, status);
      });
      this.#inFlight.set(endpoint, check);
    }
  }

  /** Resolves when every check started so far has finished. */
  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight.values());
  }

  /** Cancels the checks under way; later results are dropped. */
  dispose(): void {
    this.#abort.abort();
  }
}
