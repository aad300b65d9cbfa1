/**
 * The schema of `metadata.json`, in valibot. It is loaded only for files the schema-free check
 * in `gateway_metadata.ts` does not accept as they are, and for metadata about to be written:
 * even valibot's one module costs more than reading a whole registry of ordinary files.
 *
 * @module
 */
import * as v from "valibot";
import { isValidGatewayName } from "./gateway_name.ts";

/**
 * One gateway registration as stored in `gateways/<name>/metadata.json`, compatible with
 * NVIDIA OpenShell. Unknown fields are kept. The rules are those of
 * {@linkcode gatewayMetadataSchema}, which checks that its output is this type.
 */
export interface GatewayMetadata {
  name: string;
  gateway_endpoint: string;
  is_remote: boolean;
  gateway_port: number;
  remote_host?: string | null | undefined;
  resolved_host?: string | null | undefined;
  auth_mode?: string | null | undefined;
  edge_team_domain?: string | null | undefined;
  edge_auth_url?: string | null | undefined;
  oidc_issuer?: string | null | undefined;
  oidc_client_id?: string | null | undefined;
  oidc_audience?: string | null | undefined;
  oidc_scopes?: string | null | undefined;
  vm_driver_state_dir?: string | null | undefined;
  [field: string]: unknown;
}

/** The type of a JSON value as messages name it: `null`, `array`, `NaN`, else `typeof`. */
function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number" && !Number.isFinite(value)) {
    return Number.isNaN(value) ? "NaN" : "Infinity";
  }
  return typeof value;
}

/** The message of a value of the wrong type; a missing field is told apart by its value. */
const expected = (type: string) => (issue: v.BaseIssue<unknown>) =>
  issue.input === undefined ? MISSING : `expected ${type}, received ${typeName(issue.input)}`;
const MISSING = "missing";

const optionalText = v.nullish(v.string(expected("string")));

/** Port numbers: integers 0-65535, reported as the messages of earlier versions did. */
function portProblems(port: number): string[] {
  if (!Number.isFinite(port)) return [`expected number, received ${typeName(port)}`];
  if (!Number.isInteger(port)) return ["expected int, received number"];
  const problems: string[] = [];
  if (port > Number.MAX_SAFE_INTEGER) {
    problems.push(`Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`);
  }
  if (port < Number.MIN_SAFE_INTEGER) {
    problems.push(`Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`);
  }
  if (port > 65535) problems.push("Too big: expected number to be <=65535");
  if (port < 0) problems.push("Too small: expected number to be >=0");
  return problems;
}

/** `cf_team_domain` and `cf_auth_url` are read as these fields when they are not set. */
const ALIASES = [["cf_team_domain", "edge_team_domain"], ["cf_auth_url", "edge_auth_url"]] as const;

const metadataSchema = v.pipe(
  v.unknown(),
  v.check((input) => !Array.isArray(input), "expected object, received array"),
  v.transform((input) => {
    if (typeof input !== "object" || input === null || Array.isArray(input)) return input;
    const record = { ...input } as Record<string, unknown>;
    for (const [alias, field] of ALIASES) {
      if (record[field] === undefined && record[alias] !== undefined) {
        record[field] = record[alias];
        delete record[alias];
      }
    }
    return record;
  }),
  v.looseObject({
    name: v.pipe(
      v.string(expected("string")),
      v.check(isValidGatewayName, "invalid gateway name: expected a single path component"),
    ),
    gateway_endpoint: v.string(expected("string")),
    is_remote: v.boolean(expected("boolean")),
    gateway_port: v.pipe(
      v.unknown(),
      v.rawCheck(({ dataset, addIssue }) => {
        const port = dataset.value;
        const problems = typeof port === "number"
          ? portProblems(port)
          : [port === undefined ? MISSING : `expected number, received ${typeName(port)}`];
        for (const message of problems) addIssue({ message });
      }),
      v.transform((port) => port as number),
    ),
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
  }, expected("object")),
);

// The schema's output and the hand-written type must not drift apart.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _outputIsGatewayMetadata: Same<v.InferOutput<typeof metadataSchema>, GatewayMetadata> = true;

/** What {@linkcode gatewayMetadataSchema} makes of a value. */
export type MetadataCheck =
  | { success: true; data: GatewayMetadata }
  | { success: false; problems: string[] };

/**
 * The schema of `gateways/<name>/metadata.json`, compatible with NVIDIA OpenShell.
 * Unknown fields are kept; `cf_team_domain` and `cf_auth_url` are read as aliases of
 * `edge_team_domain` and `edge_auth_url`. Problems name the field: `missing field "name"`,
 * `field "gateway_port": expected number, received string`.
 *
 * @example
 * ```ts
 * const metadata = { name: "corp", gateway_endpoint: "http://h", is_remote: false };
 * gatewayMetadataSchema.safeParse(metadata).success; // false: missing field "gateway_port"
 * ```
 */
export const gatewayMetadataSchema = {
  safeParse(input: unknown): MetadataCheck {
    const result = v.safeParse(metadataSchema, input);
    if (result.success) return { success: true, data: result.output };
    return { success: false, problems: result.issues.map(describeIssue) };
  },
};

function describeIssue(issue: v.BaseIssue<unknown>): string {
  const field = (issue.path ?? []).map((item) => String(item.key)).join(".");
  if (issue.message === MISSING) return `missing field "${field}"`;
  return field ? `field "${field}": ${issue.message}` : issue.message;
}
