import type { GatewayMetadata, MtlsFiles } from "../registry/mod.ts";
import { UsageError } from "../user_error.ts";

/** The options of `gateway add`, as parsed. */
export interface GatewayAddOptions {
  name?: string | undefined;
  local?: boolean | undefined;
  remote?: string | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** What `gateway add` will register. */
export interface GatewayAddPlan {
  metadata: GatewayMetadata;
  mtls: MtlsFiles | undefined;
}

/**
 * Decides the registration `gateway add <endpoint>` makes, without touching any file.
 *
 * No scheme means `https://`. `http://` endpoints are `plaintext`; `https://` endpoints need
 * `--local` or `--remote` and are `mtls` (optionally with `--ca/--cert/--key`, all three);
 * without either they would need a browser login, which is refused. The default name is
 * `openshell` for loopback hosts, else the host.
 *
 * @throws {UsageError} for an endpoint that is not an http(s) URL or conflicting options.
 * @example
 * ```ts
 * planGatewayAdd("http://127.0.0.1:8080", {}).metadata.name; // "openshell"
 * ```
 */
export function planGatewayAdd(endpoint: string, options: GatewayAddOptions): GatewayAddPlan {
  const url = parseEndpoint(endpoint);
  if (options.local && options.remote !== undefined) {
    throw new UsageError("--local and --remote cannot be used together");
  }
  if (options.remote !== undefined && !/^[^@\s]+@[^@\s]+$/.test(options.remote)) {
    throw new UsageError(`invalid --remote '${options.remote}': expected user@host`);
  }
  const loopback = isLoopback(url.hostname);
  const name = options.name ?? (loopback ? "openshell" : url.hostname.replace(/^\[|\]$/g, ""));
  const plaintext = url.protocol === "http:";
  const given = [options.ca, options.cert, options.key].filter((v) => v !== undefined).length;
  if (plaintext && given > 0) {
    throw new UsageError("--ca, --cert and --key apply to https:// (mTLS) gateways only", {
      hint: "Use an https:// endpoint with --local or --remote for mTLS",
    });
  }
  if (given !== 0 && given !== 3) {
    throw new UsageError("--ca, --cert and --key must be given together");
  }
  if (!plaintext && !options.local && options.remote === undefined) {
    throw new UsageError(
      `Gateway '${name}' at ${url.origin} would need a browser login, which openshell does not support`,
      {
        hint: "Add --local or --remote user@host with --ca/--cert/--key for an mTLS gateway, " +
          "or use an http:// endpoint",
      },
    );
  }
  const isRemote = options.remote !== undefined || (!options.local && !loopback);
  const metadata: GatewayMetadata = {
    name,
    gateway_endpoint: url.origin,
    is_remote: isRemote,
    gateway_port: url.port === "" ? (plaintext ? 80 : 443) : Number(url.port),
    ...(options.remote === undefined ? {} : { remote_host: options.remote }),
    auth_mode: plaintext ? "plaintext" : "mtls",
  };
  const mtls = given === 3
    ? { ca: options.ca!, cert: options.cert!, key: options.key! }
    : undefined;
  return { metadata, mtls };
}

function parseEndpoint(endpoint: string): URL {
  const text = endpoint.includes("://") ? endpoint : `https://${endpoint}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidEndpoint(endpoint, "not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidEndpoint(endpoint, `unsupported scheme '${url.protocol.slice(0, -1)}'`);
  }
  if (url.hostname === "") throw invalidEndpoint(endpoint, "no host");
  if (url.username || url.password) throw invalidEndpoint(endpoint, "credentials in the URL");
  if ((url.pathname !== "/" && url.pathname !== "") || url.search || url.hash) {
    throw invalidEndpoint(endpoint, "expected scheme://host[:port] without a path");
  }
  return url;
}

function invalidEndpoint(endpoint: string, why: string): UsageError {
  return new UsageError(`invalid endpoint '${endpoint}': ${why}`, {
    hint: "Give an endpoint like http://127.0.0.1:8080 or https://gateway.example.com",
  });
}

function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname.endsWith(".localhost") ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname) || hostname === "[::1]";
}
