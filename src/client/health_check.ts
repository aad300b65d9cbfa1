/**
 * The terminal UI's view of gateway health: the CLI's gateway check (`./gateway_check.ts`,
 * gRPC `Health` and `GetGatewayInfo`, then `/healthz`) as `healthy`/`unhealthy`/`unreachable`
 * with the version and authentication outcome, and a poller that runs those checks in the
 * background so the UI never waits on the network.
 *
 * @module
 */
import { type Authentication, checkGateway, type CheckTarget } from "./gateway_check.ts";
import type { GatewayTls } from "./gateway_health.ts";

export type { GatewayTls };

/** A gateway's health as one word. */
export type HealthVerdict = "healthy" | "unhealthy" | "unreachable";

/** What one check of a gateway found, as the terminal UI shows it. */
export interface GatewayHealth {
  verdict: HealthVerdict;
  /** The version gRPC `Health` reported. */
  version: string | null;
  /** Upstream's authentication outcome, when gRPC answered. */
  auth: Authentication["status"] | null;
}

/** What to check: a registration (its key), its endpoint and how to reach it. */
export interface HealthTarget extends CheckTarget {
  /** One per registration: registrations sharing an endpoint may differ in certificates. */
  key: string;
}

/** How long one health check may take before the gateway counts as unreachable. */
export const HEALTH_TIMEOUT_MS = 1500;

/**
 * Checks a gateway through the CLI's gateway check: `healthy` when it is connected (over gRPC
 * or `/healthz`), `unhealthy` for any other answer, `unreachable` when nothing answers within
 * `timeoutMs` (or the endpoint is not a URL, or TLS fails). Never throws.
 *
 * @example
 * ```ts
 * import { checkHealth } from "./health_check.ts";
 * (await checkHealth({ endpoint: "http://127.0.0.1:8080" })).verdict; // "healthy"
 * ```
 */
export async function checkHealth(
  target: CheckTarget,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<GatewayHealth> {
  const check = await checkGateway(target, {
    timeoutMs: options.timeoutMs ?? HEALTH_TIMEOUT_MS,
    signal: options.signal,
  });
  const verdict = check.status === "connected" || check.status === "connected_http"
    ? "healthy"
    : check.status === "error"
    ? "unhealthy"
    : "unreachable";
  return {
    verdict,
    version: check.version,
    auth: check.status === "connected" ? check.authentication.status : null,
  };
}

/**
 * Checks registrations in the background and reports each answer through `onResult`.
 * {@linkcode HealthPoller.poll} returns at once; a registration already being checked is not
 * asked twice at the same time.
 *
 * @example
 * ```ts
 * import { HealthPoller } from "./mod.ts";
 * const poller = new HealthPoller((key, health) => console.log(key, health.verdict));
 * poller.poll([{ key: "user/local", endpoint: "http://127.0.0.1:8080" }]);
 * await poller.idle();
 * poller.dispose();
 * ```
 */
export class HealthPoller {
  readonly #onResult: (key: string, health: GatewayHealth) => void;
  readonly #timeoutMs: number;
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #abort = new AbortController();

  constructor(
    onResult: (key: string, health: GatewayHealth) => void,
    options: { timeoutMs?: number } = {},
  ) {
    this.#onResult = onResult;
    this.#timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  }

  /** Starts a check of each registration that is not being checked already. */
  poll(targets: Iterable<HealthTarget>): void {
    if (this.#abort.signal.aborted) return;
    for (const { key, ...target } of targets) {
      if (this.#inFlight.has(key)) continue;
      const check = checkHealth(target, {
        timeoutMs: this.#timeoutMs,
        signal: this.#abort.signal,
      }).then((health) => {
        this.#inFlight.delete(key);
        if (!this.#abort.signal.aborted) this.#onResult(key, health);
      });
      this.#inFlight.set(key, check);
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
