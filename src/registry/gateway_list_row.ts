import { gatewayAuth, gatewayType } from "./gateway_metadata.ts";
import type { GatewayEntry } from "./list_gateways.ts";

/**
 * One element of `gateway list -o json`, keys in upstream's (alphabetical) order, with
 * `served` added. `origin` and `shadowed` appear only when asked for (`--show-origin`, `--all`).
 */
export interface GatewayListRow {
  active: boolean;
  auth: string;
  endpoint: string;
  is_remote: boolean;
  name: string;
  origin?: string;
  remote_host: string | null;
  resolved_host: string | null;
  /** Served on this machine by `openshell serve` (an extra key; upstream has none). */
  served: boolean;
  shadowed?: boolean;
  source: "user" | "system";
  type: "cloud" | "remote" | "local";
}

/** Options for {@linkcode gatewayListRow}. */
export interface GatewayListRowOptions {
  /** The active gateway name, if any. */
  active?: string | undefined;
  /** Add `origin`: the metadata file path. */
  showOrigin?: boolean;
  /** Add `shadowed`. */
  all?: boolean;
  /** The names of the gateways served here. */
  served?: ReadonlySet<string>;
}

/**
 * The JSON row for one listing entry, as `gateway list -o json` prints it.
 *
 * @example
 * ```ts
 * import { gatewayListRow, listGateways, type RegistryRoots } from "./mod.ts";
 * const roots: RegistryRoots = { user: "/home/ada/.config/openshell", system: "/etc/openshell" };
 * const listing = await listGateways(roots);
 * JSON.stringify(listing.entries.map((e) => gatewayListRow(e, { active: "corp" })));
 * ```
 */
export function gatewayListRow(
  entry: GatewayEntry,
  options: GatewayListRowOptions = {},
): GatewayListRow {
  const { metadata } = entry;
  // Built in key order (upstream's alphabetical order), the optional keys set in their places:
  // a key at a time, which costs a row less than spreading a conditional object into it.
  const row: GatewayListRow = {
    active: !entry.shadowed && entry.name === options.active,
    auth: gatewayAuth(metadata),
    endpoint: metadata.gateway_endpoint,
    is_remote: metadata.is_remote,
    name: entry.name,
  } as GatewayListRow; // its other keys are set below, in order
  if (options.showOrigin) row.origin = entry.metadataPath;
  row.remote_host = metadata.remote_host ?? null;
  row.resolved_host = metadata.resolved_host ?? null;
  row.served = listedAsServed(entry, options.served);
  if (options.all) row.shadowed = entry.shadowed;
  row.source = entry.source;
  row.type = gatewayType(metadata);
  return row;
}

/**
 * Whether a listing entry is shown as served: `served` holds its name and it is not a system
 * entry hidden by a user one (that one is not what is served).
 */
export function listedAsServed(
  entry: GatewayEntry,
  served: ReadonlySet<string> | undefined,
): boolean {
  return !entry.shadowed && served !== undefined && served.has(entry.name);
}
