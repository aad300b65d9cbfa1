/**
 * The endpoint of a seeded system gateway: its origin, lower case, default port dropped, as
 * installers have always written it. Pure: no file, no network.
 *
 * @module
 */

/** A seeded gateway's endpoint, decided from what the installer was given. */
export interface SeedEndpoint {
  /** `scheme://host[:port]`: lower case, the default port dropped. */
  origin: string;
  /** The port, the scheme's default when none was given. */
  port: number;
  /** False for loopback hosts: `localhost`, `*.localhost`, `127.*.*.*`, `[::1]`. */
  remote: boolean;
  /** `http://`, so `auth_mode` is `plaintext`; `https://` gateways are `mtls`. */
  plaintext: boolean;
}

const HIGHEST_PORT = 65535;
const DOTTED_QUAD =
  /^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
// Spaces and control characters never belong in an endpoint.
// deno-lint-ignore no-control-regex
const SPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f]/;

/**
 * Decides the endpoint of a system gateway from `endpoint` as given (`scheme://host[:port]`,
 * no scheme meaning `https://`), or says why it cannot be one: only an origin is accepted (a
 * lone trailing `/` aside), a numeric host must be a plain dotted quad, and a host must read
 * the same to a URL parser as it is written (`0x7f.1` or `bücher.de` would silently become
 * another name).
 *
 * @returns the endpoint, or a short reason (`"expected scheme://host[:port] without a path"`).
 * @example
 * ```ts
 * seedEndpoint("Gw.Example.COM:8443"); // { origin: "https://gw.example.com:8443", port: 8443, remote: true, plaintext: false }
 * seedEndpoint("http://127.1"); // "a numeric host must be a dotted quad such as 127.0.0.1"
 * ```
 */
export function seedEndpoint(endpoint: string): SeedEndpoint | string {
  if (endpoint === "") return "it is empty";
  if (SPACE_OR_CONTROL.test(endpoint)) return "it contains a space or control character";
  const separator = endpoint.indexOf("://");
  const scheme = separator === -1 ? "https" : asciiLower(endpoint.slice(0, separator));
  if (scheme !== "http" && scheme !== "https") {
    return `unsupported scheme '${endpoint.slice(0, separator)}' (expected http or https)`;
  }
  const rest = separator === -1 ? endpoint : endpoint.slice(separator + 3);
  const authority = rest.endsWith("/") ? rest.slice(0, -1) : rest;
  if (authority === "") return "no host";
  if (authority.includes("@")) return "credentials in the URL";
  if (/[/?#]/.test(authority)) return "expected scheme://host[:port] without a path";

  const parts = splitAuthority(authority);
  if (typeof parts === "string") return parts;
  const host = asciiLower(parts.host);
  const hostProblem = checkHost(host);
  if (hostProblem !== undefined) return hostProblem;

  const defaultPort = scheme === "http" ? 80 : 443;
  let port = defaultPort;
  if (parts.port !== undefined) {
    if (!/^[0-9]+$/.test(parts.port)) return `port '${parts.port}' is not a number`;
    const digits = parts.port.replace(/^0+/, "");
    if (digits === "") return "port 0 cannot be connected to";
    if (digits.length > 5 || Number(digits) > HIGHEST_PORT) {
      return `port ${parts.port} is out of range (1-${HIGHEST_PORT})`;
    }
    port = Number(digits);
  }
  return {
    origin: port === defaultPort ? `${scheme}://${host}` : `${scheme}://${host}:${port}`,
    port,
    remote: !isLoopbackHost(host),
    plaintext: scheme === "http",
  };
}

/** `host[:port]` or `[v6][:port]`; a port given empty (`host:`) is kept as `""`. */
function splitAuthority(authority: string): { host: string; port: string | undefined } | string {
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close === -1) return "an IPv6 host lacks its closing ]";
    const after = authority.slice(close + 1);
    if (after === "") return { host: authority, port: undefined };
    if (!after.startsWith(":")) return `unexpected '${after}' after the IPv6 host`;
    return { host: authority.slice(0, close + 1), port: after.slice(1) };
  }
  const colons = authority.split(":").length - 1;
  if (colons > 1) return "more than one ':' (an IPv6 host goes in [])";
  if (colons === 0) return { host: authority, port: undefined };
  const colon = authority.indexOf(":");
  return { host: authority.slice(0, colon), port: authority.slice(colon + 1) };
}

function checkHost(host: string): string | undefined {
  if (host.startsWith("[")) {
    const inner = host.slice(1, -1);
    if (!/^[0-9a-f:.]+$/.test(inner) || !parsesAsHost(host)) {
      return `'${host}' is not an IPv6 address`;
    }
    return undefined;
  }
  if (host === "") return "no host";
  if (!/^[a-z0-9._-]+$/.test(host)) {
    return `host '${host}' may hold only letters, digits, '.', '_' and '-'`;
  }
  if (host.startsWith("-")) return `host '${host}' starts with '-'`;
  if (/^[0-9.]+$/.test(host)) {
    return DOTTED_QUAD.test(host)
      ? undefined
      : "a numeric host must be a dotted quad such as 127.0.0.1";
  }
  // URL parsers read some names as addresses (0x7f.0.0.1) or refuse them (a.123).
  if (!parsesAsHost(host, host)) return `host '${host}' is not read as written by URL parsers`;
  return undefined;
}

/** Whether a URL parser accepts `host` (and, given `same`, keeps it exactly so). */
function parsesAsHost(host: string, same?: string): boolean {
  try {
    const parsed = new URL(`http://${host}/`).hostname;
    return same === undefined || parsed === same;
  } catch {
    return false;
  }
}

/** Loopback as installers decide it: `localhost` and its subdomains, 127.*.*.*, `[::1]`. */
function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host.endsWith(".localhost") ||
    /^127\..*\..*\./s.test(host) || host === "[::1]";
}

/** ASCII letters lowered, anything else kept: a URL's scheme and host are ASCII here. */
function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}
