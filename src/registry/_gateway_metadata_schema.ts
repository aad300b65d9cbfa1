/**
 * The zod schema of `metadata.json`. It is loaded only for files the schema-free check in
 * `gateway_metadata.ts` does not accept as they are, and for metadata about to be written:
 * loading zod costs more than reading a whole registry of ordinary files.
 *
 * @module
 */
import { z } from "zod";
import { UserError } from "../errors/mod.ts";
import { type GatewayMetadata, metadataError } from "./gateway_metadata.ts";
import { isValidGatewayName } from "./gateway_name.ts";

const optionalText = z.string().nullable().optional();

/**
 * The schema of `gateways/<name>/metadata.json`, compatible with NVIDIA OpenShell.
 * Unknown fields are kept; `cf_team_domain` and `cf_auth_url` are read as aliases of
 * `edge_team_domain` and `edge_auth_url`.
 *
 * @example
 * ```ts
 * import { gatewayMetadataSchema } from "./_gateway_metadata_schema.ts";
 * const text = await Deno.readTextFile("/etc/openshell/gateways/corp/metadata.json");
 * gatewayMetadataSchema.safeParse(JSON.parse(text)).success;
 * ```
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

// The schema's output and the hand-written type must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _outputIsGatewayMetadata: Same<z.output<typeof gatewayMetadataSchema>, GatewayMetadata> =
  true;

/**
 * Parses a JSON object read from the metadata file at `path` with the schema.
 *
 * @throws {UserError} `Cannot parse metadata "<path>": ...` naming each field that is wrong.
 * @example
 * ```ts
 * import { parseWithSchema } from "./_gateway_metadata_schema.ts";
 * import type { GatewayMetadata } from "./mod.ts";
 * const metadata: GatewayMetadata = {
 *   name: "corp",
 *   gateway_endpoint: "https://gw.corp.example:8443",
 *   is_remote: true,
 *   gateway_port: 8443,
 *   auth_mode: "mtls",
 * };
 * parseWithSchema({ ...metadata, cf_team_domain: "t" }, "m.json").edge_team_domain; // "t"
 * ```
 */
export function parseWithSchema(json: object, path: string): GatewayMetadata {
  const result = gatewayMetadataSchema.safeParse(json);
  if (result.success) return result.data;
  throw metadataError(path, result.error.issues.map(describeIssue).join("; "));
}

/**
 * Checks metadata about to be written with the schema.
 *
 * @throws {UserError} `Invalid gateway metadata: ...` naming each field that is wrong.
 * @example
 * ```ts
 * import { checkWithSchema } from "./_gateway_metadata_schema.ts";
 * import { serializeGatewayMetadata } from "./mod.ts";
 * const metadata: unknown = JSON.parse(await Deno.readTextFile("metadata.json"));
 * serializeGatewayMetadata(checkWithSchema(metadata));
 * ```
 */
export function checkWithSchema(metadata: unknown): GatewayMetadata {
  const result = gatewayMetadataSchema.safeParse(metadata);
  if (result.success) return result.data;
  throw new UserError(
    `Invalid gateway metadata: ${result.error.issues.map(describeIssue).join("; ")}`,
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const field = issue.path.map(String).join(".");
  if (issue.code === "invalid_type" && issue.message.endsWith("received undefined")) {
    return `missing field "${field}"`;
  }
  const message = issue.message.replace(/^Invalid input: /, "");
  return field ? `field "${field}": ${message}` : message;
}
