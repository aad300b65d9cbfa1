/**
 * The gateway registry as the terminal UI sees it: one read gives the rows (entries and
 * unreadable entries, merged and sorted by name) and the active gateway; select and remove
 * are the registry's own, so the UI behaves exactly like `gateway select` and
 * `gateway remove`.
 *
 * @module
 */
import {
  ACTIVE_GATEWAY_VARIABLE,
  compareText,
  gatewayAuth,
  type GatewayEntry,
  gatewayMtlsDir,
  gatewayTokenPath,
  gatewayType,
  listGateways,
  mtlsFilePaths,
  type RegistryRoots,
  resolveActiveGateway,
} from "../registry/mod.ts";
import { removeUserGateway, selectGateway } from "../register/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { GatewayTls } from "../client/mod.ts";
import type { TermRegistry } from "./term_app.ts";
import type { PaneRow, RegistrySnapshot } from "./term_state.ts";

/** How the active gateway is chosen besides the files: `-g/--gateway` and the variable. */
export interface ActiveOverrides {
  flag: string | undefined;
  /** The value of `OPENSHELL_GATEWAY`. */
  env: string | undefined;
}

/** Which of some registered gateways are served on this machine, asked once per read. */
export type ServedHere = (entries: readonly GatewayEntry[]) => Promise<ReadonlySet<string>>;

/**
 * The registry under `roots`, for {@linkcode runTerm}.
 *
 * @example
 * ```ts
 * import type { RegistryRoots } from "../registry/mod.ts";
 * import { termRegistry } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const overrides = { flag: undefined, env: Deno.env.get("OPENSHELL_GATEWAY") };
 * const registry = termRegistry(roots, overrides);
 * const { rows, active } = await registry.read();
 * ```
 */
export function termRegistry(
  roots: RegistryRoots,
  overrides: ActiveOverrides,
  servedHere?: ServedHere,
): TermRegistry {
  return {
    read: () => readSnapshot(roots, overrides, servedHere),
    async select(name) {
      await selectGateway(roots, name);
      return overrideWarning(name, overrides);
    },
    async remove(name) {
      await removeUserGateway(roots, name);
    },
  };
}

/** Reads rows and the active gateway; a failure to decide the active one is reported, not thrown. */
export async function readSnapshot(
  roots: RegistryRoots,
  overrides: ActiveOverrides,
  servedHere?: ServedHere,
): Promise<RegistrySnapshot> {
  const { entries, problems } = await listGateways(roots);
  const served = await servedHere?.(entries) ?? new Set<string>();
  const rows: PaneRow[] = [
    ...entries.map((entry): PaneRow => ({
      kind: "gateway",
      name: entry.name,
      type: gatewayType(entry.metadata),
      source: entry.source,
      endpoint: entry.metadata.gateway_endpoint,
      tls: gatewayTls(roots, entry),
      ...(served.has(entry.name)
        ? { served: true, tokenFile: gatewayTokenPath(roots, entry.name) }
        : {}),
    })),
    ...problems.map((problem): PaneRow => ({
      kind: "problem",
      name: problem.name,
      source: problem.source,
      path: problem.path,
      message: problemDetail(problem.message, problem.path),
    })),
  ].sort((a, b) => compareText(a.name, b.name));
  try {
    const active = await resolveActiveGateway(roots, {
      flag: overrides.flag,
      env: overrides.env,
      warn: () => {}, // an ignored active file simply counts as absent on screen
    });
    return {
      rows,
      active: active === undefined ? undefined : { name: active.name, reason: active.reason },
      activeError: undefined,
      error: undefined,
    };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { rows, active: undefined, activeError: error.message, error: undefined };
  }
}

/**
 * What to tell the user after selecting `name` when `-g` or `OPENSHELL_GATEWAY` names
 * another gateway and so still wins, as `gateway select` warns.
 *
 * @example
 * ```ts
 * import { overrideWarning } from "./registry_view.ts";
 * overrideWarning("dev", { flag: undefined, env: "corp" });
 * // "OPENSHELL_GATEWAY='corp' overrides it in this shell"
 * ```
 */
export function overrideWarning(name: string, overrides: ActiveOverrides): string | undefined {
  if (overrides.flag !== undefined && overrides.flag !== name) {
    return `--gateway '${overrides.flag}' overrides it in this session`;
  }
  const env = overrides.env?.trim();
  if (env && env !== name) return `${ACTIVE_GATEWAY_VARIABLE}='${env}' overrides it in this shell`;
  return undefined;
}

/**
 * What is wrong with an unreadable entry, without the file path the message starts with
 * (the pane shows the path separately, in the footer).
 *
 * @example
 * ```ts
 * import { problemDetail } from "./registry_view.ts";
 * problemDetail('Cannot parse metadata "/r/gateways/a/metadata.json": invalid JSON', "/r/gateways/a/metadata.json");
 * // "invalid JSON"
 * ```
 */
export function problemDetail(message: string, path: string): string {
  const quoted = `"${path}": `;
  const at = message.indexOf(quoted);
  return at >= 0 ? message.slice(at + quoted.length) : message;
}

/**
 * Where an mTLS gateway's CA and client certificate are kept (the user root, for system
 * gateways too); `undefined` for other auth modes.
 *
 * @example
 * ```ts
 * import { listGateways, type RegistryRoots } from "../registry/mod.ts";
 * import { gatewayTls } from "./registry_view.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const { entries } = await listGateways(roots);
 * const corp = entries.find((entry) => entry.name === "corp");
 * if (corp) gatewayTls(roots, corp)?.ca; // "/home/ada/.config/openshell/gateways/corp/mtls/ca.crt"
 * ```
 */
export function gatewayTls(roots: RegistryRoots, entry: GatewayEntry): GatewayTls | undefined {
  if (gatewayAuth(entry.metadata) !== "mtls") return undefined;
  try {
    return mtlsFilePaths(gatewayMtlsDir(roots, entry.name));
  } catch {
    return undefined; // a JSON name that is no path component has no credentials directory
  }
}
