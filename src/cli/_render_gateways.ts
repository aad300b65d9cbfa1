import type { GatewayCheck } from "../client/mod.ts";
import { sanitize } from "../errors/mod.ts";
import type { ActiveGateway, GatewayEntry, ResolvedGateway } from "../registry/mod.ts";
import { gatewayAuth, gatewayListRow, gatewayType, listedAsServed } from "../registry/mod.ts";
import {
  isPrintableAscii,
  type OutputFormat,
  renderGrid,
  renderJson,
  renderYaml,
} from "./_output.ts";

/** Options shared by the renderings of `gateway list`. */
export interface GatewayListView {
  active: string | undefined;
  /** The gateways served here: TYPE says `served`, JSON has `served: true`. */
  served?: ReadonlySet<string>;
  all: boolean;
  showOrigin: boolean;
}

/**
 * The text of `gateway list` in `format`. The table has NAME ENDPOINT TYPE SOURCE AUTH, a
 * REMOTE column only when some row has a remote or resolved host, ORIGIN with `showOrigin`;
 * the active row is marked `*`, shadowed rows say so in SOURCE, served ones in TYPE.
 */
export async function renderGatewayList(
  entries: GatewayEntry[],
  format: OutputFormat,
  view: GatewayListView,
): Promise<string> {
  if (format === "json") return renderJson(entries.map((e) => gatewayListRow(e, view)));
  if (format === "yaml") return await renderYaml(entries.map((e) => gatewayListRow(e, view)));
  const withRemote = entries.some((e) => e.metadata.remote_host || e.metadata.resolved_host);
  const head = ["  NAME", "ENDPOINT", "TYPE", "SOURCE", "AUTH"];
  if (withRemote) head.push("REMOTE");
  if (view.showOrigin) head.push("ORIGIN");
  // One list of cells, row after row: a long listing needs no array per row.
  const cells: string[] = [];
  let printable = true;
  for (const entry of entries) {
    const { metadata } = entry;
    const active = !entry.shadowed && entry.name === view.active;
    const auth = gatewayAuth(metadata);
    cells.push(
      (active ? "* " : "  ") + entry.name,
      metadata.gateway_endpoint,
      listedAsServed(entry, view.served) ? "served" : gatewayType(metadata),
      entry.shadowed ? `${entry.source} (shadowed)` : entry.source,
      auth,
    );
    const remote = withRemote ? remoteText(metadata) : "";
    if (withRemote) cells.push(remote);
    if (view.showOrigin) cells.push(entry.metadataPath);
    // Text from files must not drive the terminal. A row whose text from files is printable
    // ASCII (the usual one) holds nothing to replace: its other cells are the program's own.
    printable &&= isPrintableAscii(entry.name) && isPrintableAscii(metadata.gateway_endpoint) &&
      isPrintableAscii(auth) && isPrintableAscii(remote) &&
      (!view.showOrigin || isPrintableAscii(entry.metadataPath));
  }
  return renderGrid(head, printable ? cells : cells.map(sanitize), printable);
}

function remoteText(metadata: GatewayEntry["metadata"]): string {
  const { remote_host: remote, resolved_host: resolved } = metadata;
  if (remote && resolved && remote !== resolved) return `${remote} (${resolved})`;
  return remote || resolved || "";
}

/** What `gateway info` reports: the resolved registration and whether it is active. */
export interface GatewayInfo {
  gateway: ResolvedGateway;
  active: ActiveGateway | undefined;
}

/** The JSON object of `gateway info -o json`. */
export function gatewayInfoObject(info: GatewayInfo): Record<string, unknown> {
  const { gateway, active } = info;
  const isActive = active?.name === gateway.name;
  return {
    name: gateway.name,
    source: gateway.source,
    origin: gateway.metadataPath,
    shadows: gateway.shadows ?? null,
    active: isActive,
    active_reason: isActive ? active!.reason : null,
    endpoint: gateway.metadata.gateway_endpoint,
    type: gatewayType(gateway.metadata),
    auth: gatewayAuth(gateway.metadata),
    is_remote: gateway.metadata.is_remote,
    remote_host: gateway.metadata.remote_host ?? null,
    resolved_host: gateway.metadata.resolved_host ?? null,
    metadata: gateway.metadata,
  };
}

const REASONS = {
  flag: "selected with -g/--gateway",
  env: "selected by OPENSHELL_GATEWAY",
  user: "the user's active gateway",
  system: "the system's default gateway",
} as const;

/** Why a gateway is active, in words. */
export function activeReasonText(active: ActiveGateway): string {
  const text = REASONS[active.reason];
  return active.path ? `${text} (${active.path})` : text;
}

/** The text of `gateway info`: one `key: value` line each. */
export function renderGatewayInfoText(info: GatewayInfo): string {
  const { gateway, active } = info;
  const isActive = active?.name === gateway.name;
  const lines: [string, string][] = [
    ["name", gateway.name],
    ["endpoint", gateway.metadata.gateway_endpoint],
    ["type", gatewayType(gateway.metadata)],
    ["auth", gatewayAuth(gateway.metadata)],
    ["source", gateway.source],
    ["file", gateway.metadataPath],
    ["shadows", gateway.shadows ?? "nothing"],
    ["active", isActive ? `yes, ${activeReasonText(active!)}` : "no"],
  ];
  const hosts: [string, string][] = [];
  if (gateway.metadata.remote_host) hosts.push(["remote", gateway.metadata.remote_host]);
  if (gateway.metadata.resolved_host) hosts.push(["resolved host", gateway.metadata.resolved_host]);
  lines.splice(4, 0, ...hosts);
  const width = Math.max(...lines.map(([key]) => key.length)) + 1;
  return lines.map(([key, value]) => `${`${key}:`.padEnd(width)} ${value}`).join("\n");
}

/** The authentication outcome in one line, as upstream prints it. */
export function authenticationText(check: GatewayCheck): string {
  const auth = check.authentication;
  switch (auth.status) {
    case "authenticated":
      return `authenticated (${auth.provider})`;
    case "not_required":
      return `not required (${auth.mode})`;
    case "failed":
      return `failed (${auth.error})`;
    case "unverified":
      return `unverified (${auth.reason})`;
  }
}
