import { type GatewayMetadata, isLoopbackHost, registeredGatewayPort } from "../registry/mod.ts";
import type { MtlsFiles } from "./write_registry.ts";
import { UsageError } from "../errors/mod.ts";

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
  /** The registration; `resolved_host` holds the SSH host until `ssh -G` resolves it. */
  metadata: GatewayMetadata;
  /** Client TLS files given with `--ca/--cert/--key`. */
  mtls: MtlsFiles | undefined;
  /** An mTLS gateway without `--ca/--cert/--key`: its certificates must be found on disk. */
  needsCertificates: boolean;
  /** The host of `--remote [user@]host`, to be resolved with `ssh -G`. */
  sshHost: string | undefined;
}

/** The highest TCP port. */
const MAX_PORT = 65535;

/**
 * Decides the registration `gateway add <endpoint>` makes, without touching any file, as
 * NVIDIA OpenShell writes it: the endpoint as typed (no scheme means `https://`),
 * `gateway_port` 0, the default name `openshell` for loopback hosts (127.0.0.0/8, `::1`,
 * `localhost`) else the URL host. `http://` endpoints are `plaintext`; `https://` endpoints
 * need `--local` or `--remote` and are `mtls`. An https endpoint without either would need
 * a browser login, which is refused, as are a path, port 0 and credentials in the URL.
 *
 * @throws {UsageError} for an endpoint that is not an http(s) URL or conflicting options.
 * @example
 * ```ts
 * planGatewayAdd("http://127.0.0.1:8080", {}).metadata.name; // "openshell"
 * ```
 */
export function planGatewayAdd(endpoint: string, options: GatewayAddOptions): GatewayAddPlan {
  const typed = endpoint.includes("://") ? endpoint : `https://${endpoint}`;
  const url = parseEndpoint(endpoint, typed);
  if (options.local && options.remote !== undefined) {
    throw new UsageError("--local and --remote cannot be used together");
  }
  if (options.remote !== undefined && !/^(?:[^@\s]+@)?[^@\s-][^@\s]*$/.test(options.remote)) {
    throw new UsageError(`invalid --remote '${options.remote}': expected [user@]host`);
  }
  const loopback = isLoopbackHost(url.hostname);
  const name = options.name ?? (loopback ? "openshell" : url.hostname);
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
  if (!plaintext && !options.local && options.remote === undefined) throw browserLogin(endpoint);
  const sshHost = options.remote?.slice(options.remote.indexOf("@") + 1);
  const metadata: GatewayMetadata = {
    name,
    gateway_endpoint: typed,
    is_remote: options.remote !== undefined || (!options.local && !loopback),
    gateway_port: registeredGatewayPort("added", Number(url.port)),
    ...(options.remote === undefined ? {} : { remote_host: options.remote }),
    ...(sshHost === undefined ? {} : { resolved_host: sshHost }),
    auth_mode: plaintext ? "plaintext" : "mtls",
  };
  const mtls = given === 3
    ? { ca: options.ca!, cert: options.cert!, key: options.key! }
    : undefined;
  return { metadata, mtls, needsCertificates: !plaintext && mtls === undefined, sshHost };
}

function browserLogin(endpoint: string): UsageError {
  const typedScheme = endpoint.includes("://");
  const what = typedScheme
    ? `'${endpoint}' is an https:// gateway without --local or --remote`
    : `'${endpoint}' has no scheme, so it was read as https://${endpoint}`;
  return new UsageError(
    `${what}; such gateways use a browser login, which openshell does not support`,
    {
      hint: typedScheme
        ? "Add --local or --remote user@host for an mTLS gateway, or use http:// for a plaintext one"
        : `Use http://${endpoint} for a plaintext gateway, or add --local (or --remote user@host) for an mTLS one`,
    },
  );
}

function parseEndpoint(endpoint: string, typed: string): URL {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/i
    .exec(typed);
  const port = authority?.[2];
  if (port !== undefined && port !== "") {
    if (!/^\d+$/.test(port)) throw invalidEndpoint(endpoint, `port '${port}' is not a number`);
    if (Number(port) > MAX_PORT) {
      throw invalidEndpoint(endpoint, `port ${port} is out of range (1-${MAX_PORT})`);
    }
    if (Number(port) === 0) throw invalidEndpoint(endpoint, "port 0 cannot be connected to");
  }
  let url: URL;
  try {
    url = new URL(typed);
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
