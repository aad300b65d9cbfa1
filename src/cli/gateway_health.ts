/**
 * Whether a gateway answers: `GET <endpoint>/healthz` with a short timeout, using the user's
 * mTLS material for the gateway when it has some.
 *
 * @module
 */
import { join } from "node:path";
import { readRegularTextFile, REGISTRY_FILE_MAX_BYTES } from "../read_regular_file.ts";

/** What a health probe found. */
export interface HealthResult {
  /** `ok` for a 2xx answer, `unhealthy` for another HTTP status, `unreachable` for none. */
  status: "ok" | "unhealthy" | "unreachable";
  /** The HTTP status, when the gateway answered. */
  httpStatus: number | null;
  /** Why it is not `ok`, in a few words. */
  error: string | null;
  /** How long the probe took. */
  elapsedMs: number;
}

/** The URL probed for `endpoint`: `<endpoint>/healthz`, whatever the endpoint's trailing slash. */
export function healthzUrl(endpoint: string): string {
  return `${endpoint.replace(/\/+$/, "")}/healthz`;
}

/**
 * Classifies an HTTP status as {@linkcode HealthResult} fields.
 *
 * @example
 * ```ts
 * classifyStatus(503); // { status: "unhealthy", httpStatus: 503, error: "HTTP 503" }
 * ```
 */
export function classifyStatus(
  httpStatus: number,
): Pick<HealthResult, "status" | "httpStatus" | "error"> {
  if (httpStatus >= 200 && httpStatus < 300) return { status: "ok", httpStatus, error: null };
  return { status: "unhealthy", httpStatus, error: `HTTP ${httpStatus}` };
}

/** Shortens a fetch error to its cause: `connection refused`, `no answer within 2000 ms`. */
export function describeFetchError(error: unknown, timeoutMs: number): string {
  if (
    error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")
  ) {
    return `no answer within ${timeoutMs} ms`;
  }
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const message = inner instanceof Error ? inner.message : String(inner);
  const last = message.split(": ").pop() ?? message;
  return last.replace(/ \(os error \d+\)$/, "").replace(/^./, (c) => c.toLowerCase());
}

/**
 * Probes `endpoint`. `mtlsDir` holds `ca.crt`, `tls.crt` and `tls.key` for https gateways;
 * missing files mean a plain client.
 */
export async function probeHealth(
  endpoint: string,
  options: { timeoutMs: number; mtlsDir?: string | undefined },
): Promise<HealthResult> {
  const started = performance.now();
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    return {
      status: "unreachable",
      httpStatus: null,
      error: "the endpoint is not an http(s) URL",
      elapsedMs: 0,
    };
  }
  const client = endpoint.startsWith("https://") && options.mtlsDir
    ? await mtlsClient(options.mtlsDir)
    : undefined;
  try {
    const response = await fetch(healthzUrl(endpoint), {
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: "manual",
      ...(client ? { client } : {}),
    });
    await response.body?.cancel();
    return { ...classifyStatus(response.status), elapsedMs: performance.now() - started };
  } catch (error) {
    return {
      status: "unreachable",
      httpStatus: null,
      error: describeFetchError(error, options.timeoutMs),
      elapsedMs: performance.now() - started,
    };
  } finally {
    client?.close();
  }
}

async function mtlsClient(dir: string): Promise<Deno.HttpClient | undefined> {
  try {
    const [ca, cert, key] = await Promise.all(
      ["ca.crt", "tls.crt", "tls.key"].map((name) =>
        readRegularTextFile(join(dir, name), REGISTRY_FILE_MAX_BYTES)
      ),
    );
    return Deno.createHttpClient({ caCerts: [ca!], cert: cert!, key: key! });
  } catch {
    return undefined;
  }
}
