import { z } from "zod";
import { UserError } from "../user_error.ts";
import { isValidGatewayName } from "./gateway_name.ts";

/** Where a registration comes from: the user's own registry or the read-only system one. */
export type GatewaySource = "user" | "system";

/** The authentication modes upstream knows; `gatewayAuth` falls back to these. */
export type GatewayAuthMode = "mtls" | "plaintext" | "cloudflare_jwt" | "oidc";

const optionalText = z.string().nullable().optional();

/**
 * The schema of `gateways/<name>/metadata.json`, compatible with NVIDIA OpenShell.
 * Unknown fields are kept; `cf_team_domain` and `cf_auth_url` are read as aliases of
 * `edge_team_domain` and `edge_auth_url`.
 */
export const gatewayMetadataSchema = z.preprocess(
  (input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
    const record = { ...input } as Record<string, unknown>;
    for (
      const [alias, field] of [["cf_team_domain", "edge_team_domain"], [
        "cf_auth_url",
        "edge_auth_url",
      ]] as const
    ) {
      if (record[field] === undefined && record[alias] !== undefined) {
        record[field] = record[alias];
        delete record[alias];
      }
    }
    return record;
  },
  z.looseObject({
    name: z.string().refine(isValidGatewayName, {
      message: "invalid gateway name: expected a single path component",
    }),
    gateway_endpoint: z.string(),
    is_remote: z.boolean(),
    gateway_port: z.number().int().min(0).max(65535),
    remote_host: optionalText,
    resolved_host: optionalText,
    auth_mode: optionalText,
    edge_team_domain: optionalText,
    edge_auth_url: optionalText,
    oidc_issuer: optionalText,
    oidc_client_id: optionalText,
    oidc_audience: optionalText,
    oidc_scopes: optionalText,
    vm_driver_state_dir: optionalText,
  }),
);

/** One gateway registration as stored in `metadata.json`. */
export type GatewayMetadata = z.output<typeof gatewayMetadataSchema>;

/**
 * Parses the text of a metadata file. Errors name the file and the field.
 *
 * @throws {UserError} `Cannot parse metadata "<path>": ...`
 * @example
 * ```ts
 * parseGatewayMetadata(await Deno.readTextFile(path), path).gateway_endpoint;
 * ```
 */
export function parseGatewayMetadata(text: string, path: string): GatewayMetadata {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw metadataError(path, `invalid JSON: ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw metadataError(path, `expected a JSON object, found ${describeJson(json)}`);
  }
  if (isPlainMetadata(json)) return json;
  const result = gatewayMetadataSchema.safeParse(json);
  if (result.success) return result.data;
  throw metadataError(path, result.error.issues.map(describeIssue).join("; "));
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
  const record = value as Record<string, unknown>;
  if (typeof record.name !== "string" || !isValidGatewayName(record.name)) return false;
  if (typeof record.gateway_endpoint !== "string" || typeof record.is_remote !== "boolean") {
    return false;
  }
  const port = record.gateway_port;
  if (!Number.isInteger(port) || (port as number) < 0 || (port as number) > 65535) return false;
  for (const key in record) {
    if (key === "cf_team_domain" || key === "cf_auth_url") return false;
    const text = record[key];
    if (OPTIONAL_TEXT_FIELDS.has(key) && text !== null && typeof text !== "string") return false;
  }
  return true;
}

/**
 * Checks metadata about to be written, with the same rules as reading.
 *
 * @throws {UserError} naming the first field that is wrong.
 */
export function checkGatewayMetadata(metadata: unknown): GatewayMetadata {
  const result = gatewayMetadataSchema.safeParse(metadata);
  if (result.success) return result.data;
  throw new UserError(
    `Invalid gateway metadata: ${result.error.issues.map(describeIssue).join("; ")}`,
  );
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
 * gatewayAuth({ ...metadata, gateway_endpoint: "http://127.0.0.1:8080" }); // "plaintext"
 * ```
 */
export function gatewayAuth(metadata: GatewayMetadata): string {
  if (metadata.auth_mode) return metadata.auth_mode;
  return metadata.gateway_endpoint.toLowerCase().startsWith("http://") ? "plaintext" : "mtls";
}

function metadataError(path: string, detail: string): UserError {
  return new UserError(`Cannot parse metadata "${path}": ${detail}`, {
    hint: "Fix or remove the file; `openshell gateway list` shows every entry that cannot be read",
  });
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join(".");
  if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
    return `missing field "${field}"`;
  }
  const message = issue.message.replace(/^Invalid input: /, "");
  return field ? `field "${field}": ${message}` : message;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
