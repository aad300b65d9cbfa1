/**
 * How CLI commands reach the registry: the roots decided once per process (so an ignored
 * `OPENSHELL_SYSTEM_GATEWAY_DIR` is warned about once), the inputs that pick the active
 * gateway, and the warnings and errors the gateway commands share about it.
 *
 * @module
 */
import { fillIn, programCommand } from "../errors/mod.ts";
import type {
  ActiveGateway,
  ActiveGatewayInputs,
  GatewayEntry,
  RegistryRoots,
  ResolvedGateway,
} from "../registry/mod.ts";
import {
  listGateways,
  readGatewayMetadata,
  registryRoots,
  resolveActiveGateway,
  validateGatewayName,
} from "../registry/mod.ts";
import { effectiveUid, processEnv } from "../host/mod.ts";
import { UsageError, UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { printWarning } from "./_output.ts";

let roots: RegistryRoots | undefined;

/** The registry roots for this process; a bad override is warned about on first use only. */
export function cliRoots(): RegistryRoots {
  roots ??= registryRoots(processEnv, effectiveUid(), printWarning);
  return roots;
}

/**
 * The `-g/--gateway` flag (from any level of the command line) and `OPENSHELL_GATEWAY`, as
 * the program's `--gateway` option declares them.
 *
 * @throws {UsageError} for a `-g` value that is not a gateway name (exit 2).
 */
export function activeInputs(input: CommandInput): ActiveGatewayInputs {
  const program = input.levels[0]!;
  const flag = program.sources.gateway === "cli" ? program.values.gateway as string : undefined;
  if (flag !== undefined) nameArgument(flag, validateGatewayName);
  return { flag, env: gatewayVariable(input), warn: printWarning };
}

/** The variable naming an endpoint to use without a registration, as upstream reads it. */
export const ENDPOINT_VARIABLE = "OPENSHELL_GATEWAY_ENDPOINT";

/**
 * `--gateway-endpoint URL` or `OPENSHELL_GATEWAY_ENDPOINT`: an endpoint to ask directly, and
 * where it came from (the flag wins, as upstream's).
 *
 * @throws {UsageError} for a value that is not an http(s) URL (exit 2).
 */
export function endpointOverride(
  input: CommandInput,
): { endpoint: string; from: "flag" | "env" } | undefined {
  const program = input.levels[0]!;
  const value = program.values.gatewayEndpoint as string | undefined;
  if (value === undefined || value.trim() === "") return undefined;
  const from = program.sources.gatewayEndpoint === "cli" ? "flag" : "env";
  if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new UsageError(
      `invalid gateway endpoint '${value}' from ${
        from === "flag" ? "--gateway-endpoint" : ENDPOINT_VARIABLE
      }: not an http(s) URL`,
      { hint: "Give a URL such as https://127.0.0.1:8090" },
    );
  }
  return { endpoint: value, from };
}

/** A gateway asked at an endpoint given directly, as upstream names it. */
export interface EndpointTarget {
  /** The name given (`-g`, or `gateway info`'s argument), else the registration's, else the endpoint. */
  name: string;
  /** The registration holding that name or endpoint, whose certificates are used. */
  entry: GatewayEntry | undefined;
  /** `--gateway-endpoint` or `OPENSHELL_GATEWAY_ENDPOINT`. */
  origin: string;
}

/**
 * The gateway asked at an endpoint given directly, as upstream resolves it: the name given,
 * else the registration holding that endpoint (the active one first), else the endpoint itself.
 */
export async function endpointTarget(
  registryRoots: RegistryRoots,
  input: CommandInput,
  direct: { endpoint: string; from: "flag" | "env" },
  named: string | undefined,
): Promise<EndpointTarget> {
  const wanted = direct.endpoint.replace(/\/+$/, "");
  const { entries } = await listGateways(registryRoots);
  const activeName = await resolveActiveGateway(registryRoots, {
    ...activeInputs(input),
    flag: undefined,
  }).then((active) => active?.name, () => undefined);
  const byEndpoint = (entry: GatewayEntry) =>
    entry.metadata.gateway_endpoint.replace(/\/+$/, "") === wanted;
  const entry = named !== undefined
    ? entries.find((e) => e.name === named)
    : entries.find((e) => e.name === activeName && byEndpoint(e)) ?? entries.find(byEndpoint);
  return {
    name: named ?? entry?.name ?? direct.endpoint,
    entry,
    origin: direct.from === "flag" ? "--gateway-endpoint" : ENDPOINT_VARIABLE,
  };
}

/**
 * Whether `--gateway-insecure` or `OPENSHELL_GATEWAY_INSECURE=true` asks to reach `https://`
 * gateways without verifying their certificate (and without sending a client certificate),
 * as upstream's CLI does; the flag wins over the variable.
 */
export function insecureAsked(input: CommandInput): boolean {
  return input.levels[0]!.values.gatewayInsecure === true;
}

/** Warns (on stderr, as upstream does on its log) that `endpoint` is asked unverified. */
export function warnInsecure(endpoint: string): void {
  if (!/^https:/i.test(endpoint)) return;
  printWarning(
    "TLS certificate verification is disabled (--gateway-insecure or OPENSHELL_GATEWAY_INSECURE): " +
      "anyone on the network path can answer for the gateway",
  );
}

/** The value of `OPENSHELL_GATEWAY`, as the command line was read with it. */
export function gatewayVariable(input: CommandInput): string | undefined {
  return input.levels[0]!.env.gateway;
}

/** A name typed on the command line: invalid is a usage error (exit 2). */
export function nameArgument(name: string, validate: (name: string) => string): string {
  try {
    return validate(name);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UsageError(error.message, error.hint ? { hint: error.hint } : {});
  }
}

/** Where the active gateway's name came from, as an error message names it. */
export function activeOriginText(active: ActiveGateway): string {
  switch (active.reason) {
    case "flag":
      return "-g/--gateway";
    case "env":
      return "OPENSHELL_GATEWAY";
    default:
      return `"${active.path}"`;
  }
}

/**
 * The registration of the active gateway; an error says where its name came from (`-g`,
 * `OPENSHELL_GATEWAY` or an `active_gateway` file).
 *
 * @throws {UserError} when the named gateway does not exist or cannot be read.
 */
export async function activeRegistration(
  registryRoots: RegistryRoots,
  active: ActiveGateway,
): Promise<ResolvedGateway> {
  return await readGatewayMetadata(registryRoots, active.name).catch((error) => {
    if (!(error instanceof UserError)) throw error;
    const list = programCommand("gateway", "list");
    const hint = active.reason === "env"
      ? `Unset OPENSHELL_GATEWAY or set it to a name \`${list}\` shows`
      : active.reason === "flag"
      ? `Give -g a name \`${list}\` shows`
      : `Select another with \`${programCommand("gateway", "select")}\``;
    throw new UserError(
      `Active gateway '${active.name}' from ${activeOriginText(active)}: ${error.message}`,
      { hint, cause: error },
    );
  });
}

/**
 * The active name for marking a listing; a broken setting, or an active name that is not
 * registered, is a warning here (naming where the name came from), not a failure.
 */
export async function activeNameForListing(
  registryRoots: RegistryRoots,
  input: CommandInput,
  names: readonly string[],
): Promise<string | undefined> {
  try {
    const active = await resolveActiveGateway(registryRoots, activeInputs(input));
    if (active !== undefined && !names.includes(active.name)) {
      printWarning(
        `the active gateway '${active.name}' from ${activeOriginText(active)} is not registered; ` +
          "no gateway is marked active",
      );
    }
    return active?.name;
  } catch (error) {
    if (!(error instanceof UserError) || error instanceof UsageError) throw error;
    printWarning(error.message);
    return undefined;
  }
}

/** The usage error of a gateway command given no name while none is active. */
export function noActive(verb: string): UsageError {
  return new UsageError(`No gateway named and none is active`, {
    hint: `Run \`${programCommand("gateway", verb, fillIn("<name>"))}\`; \`${
      programCommand("gateway", "list")
    }\` shows the names`,
  });
}

/** Warns when `OPENSHELL_GATEWAY` overrides the gateway just made active. */
export function warnEnvOverride(input: CommandInput, name: string): void {
  const env = gatewayVariable(input)?.trim();
  if (env && env !== name) {
    printWarning(
      `OPENSHELL_GATEWAY='${env}' is set and overrides the active gateway '${name}' ` +
        "for commands run with it",
    );
  }
}
