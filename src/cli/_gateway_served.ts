/**
 * Gateways served on this machine, as the gateway commands see them: where a gateway's
 * served record is (the user's own or, for root, that user's), the name a command acts on,
 * and the served part of `gateway info`.
 *
 * @module
 */
import { findServed, journalCommand, type ServedLookup, type ServedRecord } from "../serve/mod.ts";
import { resolveActiveGateway, validateGatewayName } from "../registry/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { activeInputs, cliRoots, nameArgument, noActive } from "./_gateway_context.ts";

/**
 * What `gateway info` (and `list`, `term`) add for a gateway the caller serves here;
 * `undefined` when it does not.
 */
export async function servedInfo(name: string): Promise<ServedRecord | undefined> {
  const found = await findServed(name).catch(() => undefined);
  return found?.state === "served" ? found.record : undefined;
}

/**
 * Where a served gateway's log is, for the user `viewerUid`: its log file, the journal of
 * the systemd unit that runs it (with the command that shows it), or the terminal.
 */
export function servedLogText(record: ServedRecord, viewerUid: number): string {
  const journal = journalCommand(record, viewerUid);
  if (journal !== undefined) return `in the journal: \`${journal}\``;
  return record.logPath ?? "on the terminal that started it";
}

/** The served part of `gateway info` as text lines, for the user `viewerUid`. */
export function renderServedText(
  record: ServedRecord,
  viewerUid: number,
  now = Date.now(),
): string {
  const lines: [string, string][] = [
    [
      "served",
      `here, launcher pid ${record.pid}${record.unit ? ` in ${record.unit}` : ""}, up ${
        formatUptime(now - Date.parse(record.readyAt))
      }`,
    ],
    ["container", record.containerId],
    ["runtime", `${record.runtime} (${record.runtimePath})`],
    ["log", servedLogText(record, viewerUid)],
    ["token", record.tokenPath],
  ];
  return lines.map(([key, value]) => `${`${key}:`.padEnd(10)} ${value}`).join("\n");
}

/**
 * A duration as `1d 2h`, `3h 4m`, `5m 6s` or `7s`.
 *
 * @example
 * ```ts
 * formatUptime(3_723_000); // "1h 2m"
 * ```
 */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/**
 * Gateway `name` served here: the caller's own from any of its shells, or for root an
 * ordinary user's, proven to be theirs (see `findServed` in `serve/mod.ts`).
 */
export async function served(name: string): Promise<ServedLookup> {
  return await findServed(name, { others: true });
}

/** The gateway `gateway <verb>` acts on: the named one, else the active one. */
export async function targetName(input: CommandInput, verb: string): Promise<string> {
  const target = input.args.name as string | undefined ??
    (await resolveActiveGateway(cliRoots(), activeInputs(input)))?.name;
  if (target === undefined) throw noActive(verb);
  return nameArgument(target, validateGatewayName);
}
