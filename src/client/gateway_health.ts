/**
 * Whether a gateway answers: `GET <endpoint>/healthz` with a short timeout, using the user's
 * mTLS material for the gateway when it has some. The one health client of the CLI: `status`
 * and `term` both ask through it, and a failure is one readable line of a known kind.
 *
 * @module
 */
import { type CommandWord, fillIn, programCommand } from "../errors/mod.ts";
import { readRegularTextFile, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import { gatewayAddKind, isLoopbackHost } from "../registry/mod.ts";

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

/** Why a gateway did not answer. */
export type FailureKind = "endpoint" | "timeout" | "refused" | "dns" | "tls" | "network";

/** A failed health check: its kind and one readable line. */
export interface HealthFailure {
  kind: FailureKind;
  message: string;
}

/** What a health probe found. */
export interface HealthResult {
  /** `ok` for a 2xx answer, `unhealthy` for another HTTP status, `unreachable` for none. */
  status: "ok" | "unhealthy" | "unreachable";
  /** The HTTP status, when the gateway answered. */
  httpStatus: number | null;
  /** The reason phrase the gateway sent with it (`OK`), when it sent one. */
  httpReason: string | null;
  /** Why it is not `ok`, in a few words (`HTTP 503`, `connection refused`). */
  error: string | null;
  /** Why nothing answered, for `unreachable`. */
  failure: HealthFailure | null;
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
 * import { classifyStatus } from "./gateway_health.ts";
 * classifyStatus(503); // { status: "unhealthy", httpStatus: 503, error: "HTTP 503" }
 * ```
 */
export function classifyStatus(
  httpStatus: number,
): Pick<HealthResult, "status" | "httpStatus" | "error"> {
  if (httpStatus >= 200 && httpStatus < 300) return { status: "ok", httpStatus, error: null };
  return { status: "unhealthy", httpStatus, error: `HTTP ${httpStatus}` };
}

const CLOSED_IN_HANDSHAKE =
  "it closed the connection in the TLS handshake (it may not accept this client certificate)";

const TLS_REASONS: readonly [RegExp, string][] = [
  [/UnknownIssuer/, "its certificate is signed by a CA this client does not trust"],
  [
    /UnsupportedCertVersion/,
    "a certificate is X.509 v1 (no extensions); TLS accepts only v3 certificates",
  ],
  [/CaUsedAsEndEntity/, "it presents a CA certificate as its own server certificate"],
  [/not valid for name "([^"]*)"/, "its certificate is not valid for '$1'"],
  [/Expired/, "its certificate has expired"],
  [/NotValidYet/, "its certificate is not valid yet"],
  [/Revoked/, "its certificate is revoked"],
  [/CertificateRequired|certificate required/i, "it requires a client certificate"],
  [/BadCertificate|bad certificate/i, "it rejected the client certificate"],
  [/UnknownCA|unknown ca/i, "it does not trust the client certificate's CA"],
  [/close_notify|unexpected-eof/, CLOSED_IN_HANDSHAKE],
];

/**
 * The failure of a TLS connection the gateway closed without a word: how a refused client
 * certificate looks when the alert saying so is not read.
 */
export function closedInHandshake(): HealthFailure {
  return { kind: "tls", message: `TLS failed: ${CLOSED_IN_HANDSHAKE}` };
}

/**
 * One readable line for a failed fetch, and its kind.
 *
 * @example
 * ```ts
 * import { describeFetchError } from "./gateway_health.ts";
 * describeFetchError(new DOMException("", "TimeoutError"), 2000);
 * // { kind: "timeout", message: "no answer within 2000 ms" }
 * ```
 */
export function describeFetchError(error: unknown, timeoutMs: number): HealthFailure {
  if (
    error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")
  ) {
    return { kind: "timeout", message: `no answer within ${timeoutMs} ms` };
  }
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const text = inner instanceof Error ? inner.message : String(inner);
  if (/dns error|failed to lookup address|Name or service not known|ENOTFOUND/i.test(text)) {
    return { kind: "dns", message: "the host name does not resolve" };
  }
  if (/Connection refused|ECONNREFUSED/i.test(text)) {
    return { kind: "refused", message: "connection refused" };
  }
  // How `node:tls` and `node:http2` (the insecure client) say the peer hung up.
  if (/ended by the other party|socket hang up|ECONNRESET|EPIPE/.test(text)) {
    return { kind: "network", message: "connection closed" };
  }
  const blocked = /Requests to port (\d+) are blocked/.exec(text);
  if (blocked) {
    return { kind: "network", message: `port ${blocked[1]} is refused by the HTTP client` };
  }
  if (/certificate|tls|handshake|alert/i.test(text)) {
    // The gateway's alert, by its name in the TLS standard (rustls says UnknownCA: unknown_ca).
    const alert = /received fatal alert: (\w+)/.exec(text)?.[1]
      ?.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
    const named = alert === undefined ? "" : ` (TLS alert ${alert})`;
    for (const [pattern, reason] of TLS_REASONS) {
      const found = pattern.exec(text);
      if (found) {
        return { kind: "tls", message: `TLS failed: ${reason.replace("$1", found[1]!)}${named}` };
      }
    }
    const why = alert === undefined ? lastPart(text) : "it refused the TLS handshake";
    return { kind: "tls", message: `TLS failed: ${why}${named}` };
  }
  return { kind: "network", message: lastPart(text) };
}

function lastPart(text: string): string {
  const last = text.split(": ").pop() ?? text;
  return last.replace(/ \(os error \d+\)$/, "").replace(/^./, (c) => c.toLowerCase());
}

/** What a hint needs to know about the gateway that failed. */
export interface HintTarget {
  name: string;
  endpoint: string;
  /**
   * Its `gateways/<name>/mtls/` directory under the user root; empty for an endpoint given
   * directly that no registration holds (no certificates, nothing `gateway info` can show).
   */
  mtlsDir: string;
  /** Its registration was made by `openshell serve`, which can start it again there. */
  madeByServe?: boolean;
  /** The `remote_host` of its registration, for an mTLS gateway on another host. */
  remoteHost?: string | undefined;
  /** The command that starts the systemd unit serving it here, when one does. */
  unitStart?: string | undefined;
  /** It was asked insecurely (`--gateway-insecure`): no client certificate was sent. */
  insecure?: boolean;
}

/**
 * A hint that fits the gateway and the failure: a local gateway that is not running can be
 * started, a remote one must be checked on its host, TLS failures point at the certificates.
 *
 * @example
 * ```ts
 * import { healthHint } from "./mod.ts";
 * healthHint({ kind: "refused", message: "" }, { name: "local", endpoint: "http://127.0.0.1:8090", mtlsDir: "" });
 * // "nothing answers on this machine; start the gateway that listens there (…)"
 * ```
 */
export function healthHint(failure: HealthFailure | null, target: HintTarget): string {
  const host = URL.canParse(target.endpoint) ? new URL(target.endpoint).hostname : "";
  const local = isLoopbackHost(host);
  const registered = target.mtlsDir !== "";
  switch (failure?.kind) {
    case "endpoint":
      return `register it with an http(s):// endpoint instead: \`${
        programCommand("gateway", "add", fillIn("<endpoint>"), "--name", target.name, "--replace")
      }\``;
    case "dns":
      if (!registered) return `check the host name '${host}' in the endpoint`;
      return `check the host name '${host}' in the endpoint (\`${
        programCommand("gateway", "info", target.name)
      }\`)`;
    case "tls": {
      if (!registered) {
        // An endpoint given directly that no registration holds: no certificates were used.
        // Named (`-g`, `gateway info`'s argument), it is asked by that name again.
        const named = target.name === target.endpoint ? [] : ["--name", target.name];
        return `register it with its certificates: \`${
          programCommand(
            "gateway",
            "add",
            target.endpoint,
            ...named,
            ...gatewayAddKind(host),
            ...certificateFlags(),
          )
        }\``;
      }
      if (target.insecure) {
        return "an insecure connection sends no client certificate; without --gateway-insecure " +
          `(and with OPENSHELL_GATEWAY_INSECURE unset or false) the one in ${target.mtlsDir}/ is sent`;
      }
      const where = target.remoteHost === undefined ? ["--local"] : ["--remote", target.remoteHost];
      return `check the certificates in ${target.mtlsDir}/ against the gateway's; replace them: \`${
        programCommand(
          "gateway",
          "add",
          target.endpoint,
          "--name",
          target.name,
          ...where,
          ...certificateFlags(),
          "--replace",
        )
      }\``;
    }
    case "refused":
    case "timeout":
      if (local && target.unitStart !== undefined) {
        return `nothing answers on this machine; \`${target.unitStart}\` starts its service`;
      }
      if (local && target.madeByServe) {
        return `nothing answers on this machine; \`${
          programCommand("serve", "--name", target.name)
        }\` serves it again where it is registered`;
      }
      if (local && !registered) {
        return "nothing answers on this machine; start the gateway that listens there";
      }
      if (local) {
        return `nothing answers on this machine; start the gateway that listens there (\`${
          programCommand("gateway", "info", target.name)
        }\` shows its registration)`;
      }
      return `check that the gateway on ${host} is running and reachable from here`;
    case "network":
      return `check the endpoint and the network path to ${host}`;
    default:
      return "the gateway answered but is not healthy; check its logs";
  }
}

/** `gateway add`'s certificate options, their files to fill in. */
function certificateFlags(): CommandWord[] {
  return ["--ca", fillIn("<ca.crt>"), "--cert", fillIn("<tls.crt>"), "--key", fillIn("<tls.key>")];
}

/**
 * Probes `endpoint`, trusting the CA and presenting the client certificate of `tls` for
 * https endpoints (missing files are left out). Never throws.
 *
 * @example
 * ```ts
 * import { probeHealth } from "./mod.ts";
 * (await probeHealth("http://127.0.0.1:8080", { timeoutMs: 2000 })).status; // "ok"
 * ```
 */
export async function probeHealth(
  endpoint: string,
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    tls?: GatewayTls | undefined;
    /** Over `https://`, verify nothing and send no client certificate (`--gateway-insecure`). */
    insecure?: boolean;
  },
): Promise<HealthResult> {
  const started = performance.now();
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) {
    const message = "the endpoint is not an http(s) URL";
    return {
      status: "unreachable",
      httpStatus: null,
      httpReason: null,
      error: message,
      failure: { kind: "endpoint", message },
      elapsedMs: 0,
    };
  }
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let client: Deno.HttpClient | undefined;
  try {
    const https = /^https:/i.test(endpoint);
    let answer: { status: number; statusText: string };
    if (https && options.insecure) {
      const { insecureGet } = await import("./_insecure_tls.ts");
      answer = await insecureGet(healthzUrl(endpoint), signal);
    } else {
      const material = https && options.tls ? await tlsMaterial(options.tls) : {};
      client = Object.keys(material).length > 0 ? Deno.createHttpClient(material) : undefined;
      const response = await fetch(healthzUrl(endpoint), {
        signal,
        redirect: "manual",
        ...(client ? { client } : {}),
      });
      await response.body?.cancel();
      answer = response;
    }
    return {
      ...classifyStatus(answer.status),
      httpReason: answer.statusText || null,
      failure: null,
      elapsedMs: performance.now() - started,
    };
  } catch (error) {
    const failure = describeFetchError(error, options.timeoutMs);
    return {
      status: "unreachable",
      httpStatus: null,
      httpReason: null,
      error: failure.message,
      failure,
      elapsedMs: performance.now() - started,
    };
  } finally {
    client?.close();
  }
}

/** The HTTP client options for a gateway's CA and client certificate; missing files are left out. */
export async function tlsMaterial(
  tls: GatewayTls,
): Promise<{ caCerts?: string[]; cert?: string; key?: string }> {
  const [ca, cert, key] = await Promise.all([tls.ca, tls.cert, tls.key].map(readIfPresent));
  return {
    ...(ca !== undefined ? { caCerts: [ca] } : {}),
    ...(cert !== undefined && key !== undefined ? { cert, key } : {}),
  };
}

/** A registry file's text, or undefined when it does not exist. */
export async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readRegularTextFile(path, REGISTRY_FILE_MAX_BYTES);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}
