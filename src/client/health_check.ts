/**
 * The terminal UI's view of gateway health: the CLI's health client (`../gateway_health.ts`)
 * as `healthy`/`unhealthy`/`unreachable`, and a poller that runs those checks in the
 * background so the UI never waits on the network.
 *
 * @module
 */
import { type GatewayTls, probeHealth } from "./gateway_health.ts";

export type { GatewayTls };

/** A gateway's health as one word. */
export type HealthVerdict = "healthy" | "unhealthy" | "unreachable";

/** What to check: an endpoint, and the TLS material to reach it with, if any. */
export interface HealthTarget {
  endpoint: string;
  tls?: GatewayTls | undefined;
}

/** How long one health check may take before the gateway counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 1500;

/**
 * Asks a gateway whether it is healthy through the CLI's health client: `healthy` for a 2xx
 * answer, `unhealthy` for any other answer, `unreachable` when nothing answers within
 * `timeoutMs` (or the endpoint is not a URL, or TLS fails). Never throws.
 *
 * @example
 * ```ts
 * import { checkHealth } from "./health_check.ts";
 * await checkHealth("http://127.0.0.1:8080"); // "healthy"
 * ```
 */
export async function checkHealth(
  endpoint: string,
  options: { timeoutMs?: number; signal?: AbortSignal; tls?: GatewayTls | undefined } = {},
): Promise<HealthVerdict> {
  const result = await probeHealth(endpoint, {
    timeoutMs: options.timeoutMs ?? HEALTH_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
    tls: options.tls,
  });
  return result.status === "ok" ? "healthy" : result.status;
}

/**
 * Checks endpoints in the background and reports each answer through `onResult`.
 * {@linkcode HealthPoller.poll} returns at once; an endpoint already being checked is not
 * asked twice at the same time.
 *
 * @example
 * ```ts
 * import { HealthPoller } from "./mod.ts";
 * const poller = new HealthPoller((endpoint, status) => console.log(endpoint, status));
 * poller.poll([{ endpoint: "http://127.0.0.1:8080" }]);
 * await poller.idle();
 * poller.dispose();
 * ```
 */
export class HealthPoller {
  readonly #onResult: (endpoint: string, status: HealthVerdict) => void;
  readonly #timeoutMs: number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();

  constructor(
    onResult: (endpoint: string, status: HealthVerdict) => void,
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
