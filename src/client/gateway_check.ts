/**
 * What NVIDIA OpenShell's `status` asks a gateway, asked the same way: gRPC `Health` first
 * (over HTTP/2: h2c for `http://`, TLS with ALPN `h2` and the registration's client
 * certificate for `https://`), then `GetGatewayInfo` to learn whether this client is
 * authenticated; only when `Health` fails, `GET /healthz` over HTTP/1.1 (`connected_http`).
 * Messages are encoded by `@bufbuild/protobuf` from upstream's `.proto`, loaded only when a
 * gateway is asked. Asked to be insecure (upstream's `--gateway-insecure`), an `https://`
 * gateway is reached through `./_insecure_tls.ts` instead: no verification of its
 * certificate, no client certificate.
 *
 * @module
 */
import {
  closedInHandshake,
  describeFetchError,
  type GatewayTls,
  type HealthFailure,
  probeHealth,
  readIfPresent,
  tlsMaterial,
} from "./gateway_health.ts";

/** Upstream's `status` value: gRPC answered, only `/healthz` did, something failed, or nothing. */
export type ConnectionStatus = "connected" | "connected_http" | "error" | "disconnected";

/** Upstream's authentication outcome, as its `status -o json` writes it. */
export type Authentication =
  | { status: "authenticated"; provider: string }
  | { status: "not_required"; mode: string }
  | { status: "failed"; error: string }
  | { status: "unverified"; reason: string };

/** What the gateway's `GetGatewayInfo` said, when it answered. */
export interface LiveGatewayInfo {
  /** `healthy`, `degraded`, `unhealthy` or `unknown`, as upstream names the enum. */
  status: string;
  version: string;
  computeDrivers: { name: string; driverName: string; driverVersion: string }[];
}

/** Everything one check found. */
export interface GatewayCheck {
  status: ConnectionStatus;
  /** The version `Health` reported. */
  version: string | null;
  authentication: Authentication;
  /** What went wrong with gRPC (or the connection), upstream's `error`. */
  error: string | null;
  /** The `/healthz` answer, when it was asked and something answered. */
  httpStatus: number | null;
  httpReason: string | null;
  /** Why nothing answered, for hints. */
  failure: HealthFailure | null;
  /** `GetGatewayInfo`'s answer, when it gave one. */
  info: LiveGatewayInfo | null;
  elapsedMs: number;
}

/** How to reach a gateway: its endpoint, TLS material and, for a served one, its API token. */
export interface CheckTarget {
  endpoint: string;
  tls?: GatewayTls | undefined;
  /**
   * The API token file of a gateway served with `--auth token`, sent to `http://` endpoints
   * only; a missing file is skipped.
   */
  tokenFile?: string | undefined;
  /**
   * Over `https://`, accept any server certificate and send no client certificate, as
   * upstream's `--gateway-insecure` does (no effect on `http://`).
   */
  insecure?: boolean | undefined;
}

type RequestHeaders = Record<string, string>;

/** One POST's answer, whichever client sent it. */
interface PostAnswer {
  status: number;
  /** A header (or, where the client reads them, a trailer). */
  header(name: string): string | null;
  body: Uint8Array;
}

/** The outcome of one unary call. */
type CallResult =
  | { ok: true; message: Uint8Array }
  | { ok: false; code: number | null; message: string; failure?: HealthFailure };

/** gRPC code names, as upstream's errors print them. */
const CODE_NAMES: Record<number, string> = {
  1: "Cancelled",
  2: "Unknown",
  3: "InvalidArgument",
  4: "DeadlineExceeded",
  5: "NotFound",
  7: "PermissionDenied",
  8: "ResourceExhausted",
  12: "Unimplemented",
  13: "Internal",
  14: "Unavailable",
  16: "Unauthenticated",
};

/**
 * Upstream's authentication outcome of `GetGatewayInfo`'s result: success or
 * `PermissionDenied` is authenticated (by the client certificate over `https://`, by the API
 * token when one was sent), `Unimplemented` is authenticated over `https://` and not
 * required over `http://`, `Unauthenticated` is a failure, anything else unverified.
 *
 * @example
 * ```ts
 * import { authenticationOutcome } from "./gateway_check.ts";
 * authenticationOutcome({ code: 16, message: "Missing or invalid bearer token" }, "https://gw", false);
 * // { status: "failed", error: "Missing or invalid bearer token" }
 * ```
 */
export function authenticationOutcome(
  result: { code: number; message: string },
  endpoint: string,
  sentToken: boolean,
): Authentication {
  const https = /^https:/i.test(endpoint);
  const provider = sentToken ? "API token" : https ? "mTLS transport" : undefined;
  switch (result.code) {
    case 0:
      return provider
        ? { status: "authenticated", provider }
        : { status: "not_required", mode: "gateway" };
    case 16:
      return { status: "failed", error: result.message };
    case 7:
      return {
        status: "authenticated",
        provider: provider ? `${provider}; authorization denied` : "authorization denied",
      };
    case 12:
      if (!sentToken && !https) return { status: "not_required", mode: "gateway" };
      if (!sentToken) return { status: "authenticated", provider: "mTLS transport" };
      return { status: "unverified", reason: "gateway does not support authentication checks" };
    default:
      return { status: "unverified", reason: result.message };
  }
}

/**
 * Checks a gateway as upstream's `status` does. Never throws.
 *
 * @example
 * ```ts
 * import { checkGateway } from "./mod.ts";
 * const check = await checkGateway({ endpoint: "http://127.0.0.1:8090" }, { timeoutMs: 2000 });
 * check.status; // "connected"
 * ```
 */
export async function checkGateway(
  target: CheckTarget,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<GatewayCheck> {
  const started = performance.now();
  const { endpoint } = target;
  const elapsed = () => performance.now() - started;
  const empty = { version: null, httpStatus: null, httpReason: null, info: null };
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    const message = "the endpoint is not an http(s) URL";
    return {
      ...empty,
      status: "disconnected",
      authentication: { status: "unverified", reason: "gateway unreachable" },
      error: message,
      failure: { kind: "endpoint", message },
      elapsedMs: 0,
    };
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  const https = /^https:/i.test(endpoint);
  const insecure = https && target.insecure === true;
  let protocol: typeof import("../protocol/mod.ts");
  let token: string | undefined;
  let post: (
    url: string,
    headers: RequestHeaders,
    body: Uint8Array<ArrayBuffer>,
  ) => Promise<PostAnswer>;
  let close: () => void;
  try {
    const loaded = await Promise.all([
      import("../protocol/mod.ts"),
      insecure ? import("./_insecure_tls.ts") : undefined,
      target.tls && https && !insecure ? tlsMaterial(target.tls) : {},
      // Over https:// the client certificate is the login; the token is for plaintext ones.
      target.tokenFile && !https ? readIfPresent(target.tokenFile) : undefined,
    ]);
    [protocol, , , token] = loaded;
    if (loaded[1] !== undefined) {
      const client = loaded[1].insecureClient(endpoint);
      post = (url, headers, body) => client.post(url, headers, body, signal);
      close = () => client.close();
    } else {
      const client = Deno.createHttpClient({ http1: false, http2: true, ...loaded[2] });
      post = async (url, headers, body) => {
        const response = await fetch(url, { method: "POST", client, signal, headers, body });
        const bytes = new Uint8Array(await response.arrayBuffer());
        return {
          status: response.status,
          header: (name) => response.headers.get(name),
          body: bytes,
        };
      };
      close = () => client.close();
    }
  } catch (error) {
    // A file that cannot be read, or material the client refuses (a v1 certificate, a key
    // that does not parse): a result like any other, never a rejection.
    const failure = describeFetchError(error, options.timeoutMs);
    return {
      ...empty,
      status: "disconnected",
      authentication: { status: "unverified", reason: "gateway unreachable" },
      error: failure.message,
      failure,
      elapsedMs: elapsed(),
    };
  }
  const bearer = token?.trim() || undefined;
  const call = async (method: string, request: Uint8Array): Promise<CallResult> => {
    try {
      const response = await post(
        `${endpoint.replace(/\/+$/, "")}/openshell.v1.OpenShell/${method}`,
        {
          "content-type": "application/grpc",
          te: "trailers",
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        protocol.frameMessage(request),
      );
      const status = response.header("grpc-status");
      if (status !== null && status !== "0") {
        const code = Number(status);
        const message = decodeURIComponent(response.header("grpc-message") ?? "");
        return { ok: false, code, message: message || (CODE_NAMES[code] ?? `code ${code}`) };
      }
      if (
        response.status !== 200 ||
        !/^application\/grpc/.test(response.header("content-type") ?? "")
      ) {
        return { ok: false, code: null, message: `not a gRPC answer: HTTP ${response.status}` };
      }
      return { ok: true, message: protocol.unframeMessage(response.body) };
    } catch (error) {
      const failure = describeFetchError(error, options.timeoutMs);
      return { ok: false, code: null, message: failure.message, failure };
    }
  };
  try {
    const healthRequest = protocol.toBinary(
      protocol.HealthRequestSchema,
      protocol.create(protocol.HealthRequestSchema),
    );
    let health = await call("Health", healthRequest);
    // A refused TLS handshake sometimes reaches the client as a bare closed connection, its
    // alert unread: asking once more gives the alert (certificate required, unknown CA).
    if (!health.ok && health.failure?.message === "connection closed") {
      health = await call("Health", healthRequest);
    }
    // Still closed before any answer over TLS: that is how a refused handshake looks without
    // its alert (the kind a certificate problem gets, so the hint points at the files).
    if (!health.ok && health.failure?.message === "connection closed" && https) {
      const failure = closedInHandshake();
      health = { ...health, message: failure.message, failure };
    }
    if (health.ok) {
      let version: string | null = null;
      try {
        version = protocol.fromBinary(protocol.HealthResponseSchema, health.message).version;
      } catch {
        // an unreadable answer still means a gRPC gateway answered
      }
      const infoCall = await call(
        "GetGatewayInfo",
        protocol.toBinary(
          protocol.GetGatewayInfoRequestSchema,
          protocol.create(protocol.GetGatewayInfoRequestSchema),
        ),
      );
      let info: LiveGatewayInfo | null = null;
      if (infoCall.ok) {
        try {
          const answer = protocol.fromBinary(
            protocol.GetGatewayInfoResponseSchema,
            infoCall.message,
          );
          info = {
            status: SERVICE_STATUS_NAMES[answer.status] ?? "unknown",
            version: answer.gatewayVersion,
            computeDrivers: answer.computeDrivers.map((driver) => ({
              name: driver.name,
              driverName: driver.capabilities?.driverName ?? "",
              driverVersion: driver.capabilities?.driverVersion ?? "",
            })),
          };
        } catch {
          // answered, but not readably: still authenticated
        }
      }
      const authentication = infoCall.ok
        ? authenticationOutcome({ code: 0, message: "" }, endpoint, bearer !== undefined)
        : infoCall.code === null
        ? { status: "unverified" as const, reason: infoCall.message }
        : authenticationOutcome(
          { code: infoCall.code, message: infoCall.message },
          endpoint,
          bearer !== undefined,
        );
      return {
        ...empty,
        status: "connected",
        version,
        info,
        authentication,
        error: null,
        failure: null,
        elapsedMs: elapsed(),
      };
    }
    // gRPC failed: the HTTP/1.1 /healthz fallback, as upstream.
    const connected = health.failure === undefined;
    const http = await probeHealth(endpoint, {
      timeoutMs: Math.max(1, options.timeoutMs - elapsed()),
      ...(options.signal ? { signal: options.signal } : {}),
      tls: target.tls,
      insecure,
    });
    const answered = http.httpStatus !== null;
    const status: ConnectionStatus = http.status === "ok"
      ? "connected_http"
      : connected
      ? "error"
      : "disconnected";
    // The TLS refusal is the useful text, whichever of the two calls read it.
    const failure = answered
      ? null
      : [health.failure, http.failure].find((f) => f?.kind === "tls") ?? health.failure ??
        http.failure;
    return {
      ...empty,
      status,
      authentication: connected || answered
        ? { status: "unverified", reason: "gRPC health check failed" }
        : { status: "unverified", reason: "gateway unreachable" },
      error: failure
        ? failure.message
        : health.code === null
        ? health.message
        : `gRPC ${CODE_NAMES[health.code] ?? health.code}: ${health.message}`,
      httpStatus: http.httpStatus,
      httpReason: http.httpReason,
      failure,
      elapsedMs: elapsed(),
    };
  } finally {
    close();
  }
}

/** Upstream's names of `ServiceStatus` values. */
const SERVICE_STATUS_NAMES: Record<number, string> = {
  1: "healthy",
  2: "degraded",
  3: "unhealthy",
};
