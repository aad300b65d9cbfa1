/**
 * What registering a gateway served on this machine means: a user registration of the
 * address clients reach it at (mTLS, as upstream's local gateway, or plaintext), its API
 * token beside it (0600), for mTLS its client material in upstream's layout (`mtls/ca.crt`,
 * `tls.crt`, `tls.key`) and its server material in `server-tls/` (directories 0700, keys
 * 0600), and `serve.json` marking the entry as made by `serve`, which may then update it
 * but never takes over an entry someone else added.
 *
 * @module
 */
import { registeredGatewayPort } from "../registry/mod.ts";
import { dirname, join } from "../path/mod.ts";
import type { GatewayPki } from "../pki/mod.ts";
import { atomicWriteFile, pathExists, pathExistsSync } from "../files/mod.ts";
import { readRegularTextFileSync, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import { fileError, UserError } from "../errors/mod.ts";
import { type GatewayMetadata, serializeGatewayMetadata } from "../registry/mod.ts";
import { readGatewayMetadata } from "../registry/mod.ts";
import type { RegistryRoots } from "../registry/mod.ts";
import { ensureUserDir } from "./_user_dir.ts";
import { addUserGateway, SECRET_FILE_MODE } from "./write_registry.ts";
import {
  gatewayMtlsDir,
  gatewayTokenPath,
  madeByServe,
  mtlsFilePaths,
  SERVE_MARKER_FILE,
  userGatewayDir,
} from "../registry/mod.ts";

/** The directory of a served gateway's server certificate and key, in the user gateway dir. */
const SERVER_TLS_DIR = "server-tls";

/** The address a client on this machine reaches a served gateway at. */
export interface ServedEndpoint {
  hostname: string;
  port: number;
}

/** The API token a served gateway runs with; `stored` false for one not yet written. */
export interface ServedToken {
  value: string;
  stored: boolean;
}

/** A served gateway's PKI; `stored` false for one not yet written. */
export interface ServedPki {
  pki: GatewayPki;
  stored: boolean;
}

/** A served gateway to register once it answers: over mTLS when `tls` is given. */
export interface ServedGateway {
  name: string;
  endpoint: ServedEndpoint;
  token: ServedToken;
  tls?: ServedPki | undefined;
}

/** What is found of a name's user registration when a served gateway is registered. */
export interface ServedRegistrationFacts {
  /** The user `metadata.json` exists. */
  registered: boolean;
  /** The endpoint it holds; `undefined` when it cannot be read. */
  endpoint: string | undefined;
}

/**
 * The registration of a served gateway: local, at the address clients reach, over mTLS
 * (`https://`) or plaintext.
 *
 * @example
 * ```ts
 * servedGatewayMetadata("dev", { hostname: "::1", port: 9000 }, "mtls").gateway_endpoint;
 * // "https://[::1]:9000"
 * ```
 */
export function servedGatewayMetadata(
  name: string,
  endpoint: ServedEndpoint,
  auth: "mtls" | "plaintext",
): GatewayMetadata {
  const host = endpoint.hostname.includes(":") ? `[${endpoint.hostname}]` : endpoint.hostname;
  return {
    name,
    gateway_endpoint: `${auth === "mtls" ? "https" : "http"}://${host}:${endpoint.port}`,
    is_remote: false,
    gateway_port: registeredGatewayPort("served", endpoint.port),
    auth_mode: auth,
  };
}

/** Where a served gateway's PKI is kept, file by file. */
export function servedPkiPaths(
  roots: RegistryRoots,
  name: string,
): Record<keyof GatewayPki, string> {
  const client = mtlsFilePaths(gatewayMtlsDir(roots, name));
  const server = mtlsFilePaths(join(userGatewayDir(roots, name), SERVER_TLS_DIR));
  return {
    ca: client.ca,
    clientCert: client.cert,
    clientKey: client.key,
    serverCert: server.cert,
    serverKey: server.key,
  };
}

/**
 * The stored PKI of a served gateway; or, when some of its files are missing, the first of
 * them and whether any other was found (none: it never had one).
 *
 * @throws {UserError} when a file exists but cannot be read.
 */
export function readServedPki(
  roots: RegistryRoots,
  name: string,
): Promise<{ pki: GatewayPki } | { missing: string; partial: boolean }> {
  // Synchronous reads, in a promise as callers expect: far cheaper than thread-pool round trips.
  return Promise.try(() => {
    const paths = servedPkiPaths(roots, name);
    const pki: Partial<GatewayPki> = {};
    const missing: string[] = [];
    for (const [part, path] of Object.entries(paths) as [keyof GatewayPki, string][]) {
      try {
        pki[part] = readRegularTextFileSync(path, REGISTRY_FILE_MAX_BYTES);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) {
          throw fileError("Cannot read the gateway's TLS material", path, error);
        }
        missing.push(path);
      }
    }
    if (missing.length === 0) return { pki: pki as GatewayPki };
    return { missing: missing[0]!, partial: missing.length < Object.keys(paths).length };
  });
}

/** Writes a served gateway's PKI: directories 0700, keys 0600, certificates 0644. */
async function writeServedPki(roots: RegistryRoots, name: string, pki: GatewayPki): Promise<void> {
  await ensureUserDir(roots.user, "gateways", name);
  const paths = servedPkiPaths(roots, name);
  for (const [part, path] of Object.entries(paths) as [keyof GatewayPki, string][]) {
    await Deno.mkdir(dirname(path), { mode: 0o700 }).catch((error) => {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    });
    await Deno.chmod(dirname(path), 0o700);
    const key = part === "clientKey" || part === "serverKey";
    await atomicWriteFile(path, pki[part], { mode: key ? SECRET_FILE_MODE : 0o644 });
  }
}

/**
 * What registering does with the user entry found: `add` a new one (made active when no
 * gateway is), `keep` one already at this endpoint, or `rewrite` the metadata of another
 * (or an unreadable) one.
 *
 * @example
 * ```ts
 * servedRegistrationStep({ registered: true, endpoint: "http://127.0.0.1:8090" },
 *   "http://127.0.0.1:9000"); // "rewrite"
 * ```
 */
export function servedRegistrationStep(
  found: ServedRegistrationFacts,
  endpoint: string,
): "add" | "keep" | "rewrite" {
  if (!found.registered) return "add";
  return found.endpoint === endpoint ? "keep" : "rewrite";
}

/**
 * Whether a user entry may be served under its name: it is absent, or `serve` made it.
 *
 * @example
 * ```ts
 * mayServeUnder({ registered: true, marked: false }); // false
 * ```
 */
export function mayServeUnder(found: { registered: boolean; marked: boolean }): boolean {
  return !found.registered || found.marked;
}

/**
 * A new API token: 32 random bytes in hex.
 *
 * @example
 * ```ts
 * newServedToken().length; // 64
 * ```
 */
export function newServedToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Refuses to serve under the name of a user entry that `serve` did not create.
 *
 * @throws {UserError} naming the gateway.
 */
export function refuseForeignRegistration(roots: RegistryRoots, name: string): Promise<void> {
  return Promise.try(() => {
    const dir = userGatewayDir(roots, name);
    const registered = pathExistsSync(join(dir, "metadata.json"));
    const marked = registered && pathExistsSync(join(dir, SERVE_MARKER_FILE));
    if (mayServeUnder({ registered, marked })) return;
    throw new UserError(`Gateway "${name}" is already registered and was not created by serve`, {
      hint: "Pick another name with --name",
    });
  });
}

/**
 * The endpoint of the registration `serve` made for `name`; `undefined` when there is none,
 * or someone else made it, or it cannot be read.
 *
 * @example
 * ```ts
 * import { registryRoots } from "../registry/mod.ts";
 * const roots = registryRoots((name) => Deno.env.get(name), Deno.uid() ?? 0, console.error);
 * await servedRegistrationEndpoint(roots, "local"); // "http://127.0.0.1:8090" once served
 * ```
 */
export async function servedRegistrationEndpoint(
  roots: RegistryRoots,
  name: string,
): Promise<string | undefined> {
  if (!madeByServe(roots, name)) return undefined;
  const found = await readGatewayMetadata(roots, name).catch(() => undefined);
  return found?.source === "user" ? found.metadata.gateway_endpoint : undefined;
}

/**
 * The API token to serve `name` with: the stored one, or a new one (`stored` false) that
 * {@linkcode registerServedGateway} writes once the gateway answers.
 *
 * @throws {UserError} when the stored token cannot be read.
 */
export function servedGatewayToken(roots: RegistryRoots, name: string): Promise<ServedToken> {
  return Promise.try(() => {
    const path = gatewayTokenPath(roots, name);
    try {
      const token = readRegularTextFileSync(path, REGISTRY_FILE_MAX_BYTES).trim();
      if (token !== "") return { value: token, stored: true };
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw fileError("Cannot read the gateway's API token", path, error);
      }
    }
    return { value: newServedToken(), stored: false };
  });
}

/**
 * Registers (or updates the endpoint of) a served gateway that answers: writes its token
 * when new, marks the entry as made by `serve`, and adds the registration (selected when
 * no gateway is active) or rewrites an existing one's endpoint.
 *
 * @example
 * ```ts
 * import { registryRoots } from "../registry/mod.ts";
 * const roots = registryRoots((name) => Deno.env.get(name), Deno.uid() ?? 0, console.error);
 * const token = await servedGatewayToken(roots, "local");
 * await registerServedGateway(roots, {
 *   name: "local", endpoint: { hostname: "127.0.0.1", port: 8090 }, token,
 * });
 * ```
 */
export async function registerServedGateway(
  roots: RegistryRoots,
  gateway: ServedGateway,
): Promise<void> {
  const { name, token, tls } = gateway;
  if (!token.stored) {
    await ensureUserDir(roots.user, "gateways", name);
    const path = gatewayTokenPath(roots, name);
    await atomicWriteFile(path, token.value + "\n", { mode: SECRET_FILE_MODE });
  }
  if (tls && !tls.stored) await writeServedPki(roots, name, tls.pki);
  const metadata = servedGatewayMetadata(name, gateway.endpoint, tls ? "mtls" : "plaintext");
  const dir = userGatewayDir(roots, name);
  await atomicWriteFile(join(dir, SERVE_MARKER_FILE), JSON.stringify({ served: true }) + "\n", {
    mode: 0o600,
  });
  const path = join(dir, "metadata.json");
  const registered = await pathExists(path);
  const current = registered
    ? await readGatewayMetadata(roots, name).catch(() => undefined)
    : undefined;
  const found = { registered, endpoint: current?.metadata.gateway_endpoint };
  switch (servedRegistrationStep(found, metadata.gateway_endpoint)) {
    case "add":
      await addUserGateway(roots, metadata, { activate: "if-none" });
      return;
    case "rewrite":
      await atomicWriteFile(path, serializeGatewayMetadata(metadata), { mode: 0o644 });
      return;
    case "keep":
      return;
  }
}
