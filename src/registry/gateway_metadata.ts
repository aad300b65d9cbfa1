import { programCommand } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { GatewayMetadata } from "./_gateway_metadata_schema.ts";
import { isValidGatewayName } from "./gateway_name.ts";

export type { GatewayMetadata };

/** Where a registration comes from: the user's own registry or the read-only system one. */
export type GatewaySource = "user" | "system";

/** The authentication modes upstream knows; `gatewayAuth` falls back to these. */
export type GatewayAuthMode = "mtls" | "plaintext" | "cloudflare_jwt" | "oidc";

/**
 * Parses the text of a metadata file. Errors name the file and the field. A file that is
 * already what the schema would return is taken as is; only anything else (aliases, wrong
 * types) loads the schema, for its conversions and its messages.
 *
 * @throws {UserError} `Cannot parse metadata "<path>": ...`
 * @example
 * ```ts
 * import { parseGatewayMetadata } from "./mod.ts";
 * const path = "/etc/openshell/gateways/corp/metadata.json";
 * (await parseGatewayMetadata(await Deno.readTextFile(path), path)).gateway_endpoint;
 * ```
 */
export function parseGatewayMetadata(text: string, path: string): Promise<GatewayMetadata> {
  try {
    const parsed = parsePlainMetadata(text, path);
    return parsed.plain
      ? Promise.resolve(parsed.metadata)
      : parseMetadataWithSchema(parsed.json, path);
  } catch (error) {
    return Promise.reject(error);
  }
}

/** What {@linkcode parsePlainMetadata} makes of a file: the metadata, or JSON for the schema. */
export type PlainParse =
  | { plain: true; metadata: GatewayMetadata }
  | { plain: false; json: object };

/**
 * The synchronous part of {@linkcode parseGatewayMetadata}: the metadata when the file is
 * ordinary, else the JSON object for {@linkcode parseMetadataWithSchema}. Lets a listing of many
 * files go without a promise per file.
 *
 * @throws {UserError} `Cannot parse metadata "<path>": ...` for invalid JSON, a non-object, or
 *   nesting deeper than {@linkcode MAX_METADATA_DEPTH} (named first whatever else is wrong).
 * @example
 * ```ts
 * import { parseMetadataWithSchema, parsePlainMetadata } from "./gateway_metadata.ts";
 * const path = "/etc/openshell/gateways/corp/metadata.json";
 * const text = await Deno.readTextFile(path);
 * const parsed = parsePlainMetadata(text, path);
 * const metadata = parsed.plain
 *   ? parsed.metadata
 *   : await parseMetadataWithSchema(parsed.json, path);
 * ```
 */
export function parsePlainMetadata(text: string, path: string): PlainParse {
  let json: unknown;
  try {
    json = JSON.parse(text); // V8 parses any depth without recursion: the depth is checked after
  } catch (error) {
    refuseDeep(text, path);
    throw metadataError(path, `invalid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    refuseDeep(text, path);
    throw metadataError(path, `expected a JSON object, found ${describeJson(json)}`);
  }
  // A file whose values are all scalars (every real one) cannot nest: only others are measured.
  const kind = metadataKind(json);
  if (kind !== "flat") refuseDeep(text, path);
  return kind === "other"
    ? { plain: false, json }
    : { plain: true, metadata: json as GatewayMetadata };
}

/** Refuses `text` when it nests deeper than {@linkcode MAX_METADATA_DEPTH}. */
function refuseDeep(text: string, path: string): void {
  if (mayNest(text) && nestingDepth(text) > MAX_METADATA_DEPTH) {
    throw metadataError(path, `nested deeper than ${MAX_METADATA_DEPTH} levels`);
  }
}

/**
 * Parses a metadata file's JSON object with the schema, which is loaded on the first call.
 *
 * @throws {UserError} `Cannot parse metadata "<path>": ...` naming each field that is wrong.
 * @example
 * ```ts
 * import { parseMetadataWithSchema } from "./gateway_metadata.ts";
 * const plain = { name: "corp", gateway_endpoint: "https://gw.corp.example", is_remote: true };
 * const path = "gateways/corp/metadata.json";
 * const metadata = await parseMetadataWithSchema({ ...plain, cf_team_domain: "t" }, path);
 * metadata.edge_team_domain; // "t"
 * ```
 */
export async function parseMetadataWithSchema(
  json: object,
  path: string,
): Promise<GatewayMetadata> {
  const { gatewayMetadataSchema } = await import("./_gateway_metadata_schema.ts");
  const result = gatewayMetadataSchema.safeParse(json);
  if (result.success) return result.data;
  throw metadataError(path, result.problems.join("; "));
}

/**
 * The deepest nesting of objects and arrays a metadata file may have: real files have 1, and
 * deeper values would overflow the stack of whatever prints or checks them.
 */
export const MAX_METADATA_DEPTH = 64;

/**
 * Whether `text` may nest at all: it holds a `[` or two `{` (in strings too, so a miss is
 * certain and a hit only means {@linkcode nestingDepth} must count). Real files hold one `{`,
 * and the searches run natively.
 */
function mayNest(text: string): boolean {
  return text.includes("[") || text.indexOf("{") !== text.lastIndexOf("{");
}

/** How deep arrays and objects nest in JSON `text` (brackets inside strings not counted). */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

const OPTIONAL_TEXT_FIELDS = new Set([
  "remote_host",
  "resolved_host",
  "auth_mode",
  "edge_team_domain",
  "edge_auth_url",
  "oidc_issuer",
  "oidc_client_id",
  "oidc_audience",
  "oidc_scopes",
  "vm_driver_state_dir",
]);

/**
 * Whether `value` already is what the schema would return, unchanged: the common case,
 * checked without the schema because a cold schema parse costs more than reading the file.
 * Anything unusual (aliases, wrong types) goes through the schema for its messages.
 */
export function isPlainMetadata(value: object): value is GatewayMetadata {
  return metadataKind(value) !== "other";
}

/**
 * {@linkcode isPlainMetadata} in one pass over the fields, which also tells whether any of
 * them holds an object or array: `flat` when plain and made of scalars only, `nested` when
 * plain but holding one (an unknown field's value), `other` when not plain.
 */
function metadataKind(value: object): "flat" | "nested" | "other" {
  const record = value as Record<string, unknown>;
  if (typeof record.name !== "string" || !isValidGatewayName(record.name)) return "other";
  if (typeof record.gateway_endpoint !== "string" || typeof record.is_remote !== "boolean") {
    return "other";
  }
  const port = record.gateway_port;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) return "other";
  let nested = false;
  for (const key in record) {
    if (key === "cf_team_domain" || key === "cf_auth_url") return "other";
    const field = record[key];
    if (field === null || typeof field === "string") continue;
    if (OPTIONAL_TEXT_FIELDS.has(key)) return "other";
    if (typeof field === "object") nested = true;
  }
  return nested ? "nested" : "flat";
}

/**
 * Checks metadata about to be written, with the same rules as reading (through the schema,
 * so that what is written is exactly what the schema returns).
 *
 * @throws {UserError} naming the first field that is wrong.
 * @example
 * ```ts
 * import { checkGatewayMetadata } from "./mod.ts";
 * const metadata: unknown = JSON.parse(await Deno.readTextFile("metadata.json"));
 * const checked = await checkGatewayMetadata(metadata);
 * ```
 */
export async function checkGatewayMetadata(metadata: unknown): Promise<GatewayMetadata> {
  const { gatewayMetadataSchema } = await import("./_gateway_metadata_schema.ts");
  const result = gatewayMetadataSchema.safeParse(metadata);
  if (result.success) return result.data;
  throw new UserError(`Invalid gateway metadata: ${result.problems.join("; ")}`);
}

/** The text written to `metadata.json`: pretty-printed JSON with a 2-space indent. */
export function serializeGatewayMetadata(metadata: GatewayMetadata): string {
  return JSON.stringify(metadata, null, 2);
}

/**
 * The TYPE column: `cloud` for Cloudflare-fronted gateways, else `remote` or `local`.
 *
 * @example
 * ```ts
 * import { type GatewayMetadata, gatewayType } from "./mod.ts";
 * const metadata: GatewayMetadata = {
 *   name: "corp",
 *   gateway_endpoint: "https://gw.corp.example:8443",
 *   is_remote: false,
 *   gateway_port: 8443,
 *   auth_mode: "mtls",
 * };
 * gatewayType({ ...metadata, is_remote: true }); // "remote"
 * ```
 */
export function gatewayType(metadata: GatewayMetadata): "cloud" | "remote" | "local" {
  if (metadata.auth_mode === "cloudflare_jwt") return "cloud";
  return metadata.is_remote ? "remote" : "local";
}

/**
 * The AUTH column: `auth_mode` when set, else `plaintext` for `http://` endpoints and
 * `mtls` for anything else.
 *
 * @example
 * ```ts
 * import { gatewayAuth, type GatewayMetadata } from "./mod.ts";
 * const metadata: GatewayMetadata = {
 *   name: "corp",
 *   gateway_endpoint: "https://gw.corp.example:8443",
 *   is_remote: true,
 *   gateway_port: 8443,
 * };
 * gatewayAuth({ ...metadata, gateway_endpoint: "http://127.0.0.1:8080" }); // "plaintext"
 * ```
 */
export function gatewayAuth(metadata: GatewayMetadata): string {
  if (metadata.auth_mode) return metadata.auth_mode;
  return metadata.gateway_endpoint.toLowerCase().startsWith("http://") ? "plaintext" : "mtls";
}

/** The error for a metadata file that cannot be used: the file, then what is wrong. */
export function metadataError(path: string, detail: string): UserError {
  return new UserError(`Cannot parse metadata "${path}": ${detail}`, {
    hint: `Fix or remove the file; \`${
      programCommand("gateway", "list")
    }\` shows every entry that cannot be read`,
  });
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/**
 * `gateway_port` as NVIDIA OpenShell writes it: the host port of a gateway the program runs
 * itself (upstream's own local gateway; here, one `serve` runs), 0 for one it only registers
 * (`gateway add`). Upstream's readers take a port above 0 to mean a gateway the CLI started.
 *
 * @example
 * ```ts
 * registeredGatewayPort("served", 8090); // 8090
 * registeredGatewayPort("added", 8090); // 0
 * ```
 */
export function registeredGatewayPort(made: "served" | "added", port: number): number {
  return made === "served" ? port : 0;
}
