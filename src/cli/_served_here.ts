/**
 * Which of some registered gateways are served here, read cheaply: only a user registration
 * that `serve` made, or a system one that a packaged service serves, can be, so the served
 * records (and the code that reads them) are loaded only when such a name has a served record
 * in the caller's gateway home. `gateway list`, `term`, `rename` and `remove` ask.
 *
 * @module
 */
import type { ServedRecord } from "../serve/mod.ts";
import { type GatewayEntry, madeByServe, type RegistryRoots } from "../registry/mod.ts";
import { programCommand, UserError } from "../errors/mod.ts";
import { effectiveUid, namesInGatewayHomes } from "../host/mod.ts";

/**
 * The served record of each of `names` served here, by name. Only a name with a directory in
 * a gateway home can be served, and only of those is `servable` asked: whether its
 * registration is one serve made, or a system one (a packaged service serves it).
 */
export async function servedHere(
  names: readonly string[],
  servable: (name: string) => boolean = () => true,
): Promise<Map<string, ServedRecord>> {
  const live = namesInGatewayHomes(effectiveUid());
  const candidates = names.filter((name) => live.has(name) && servable(name));
  const found = new Map<string, ServedRecord>();
  if (candidates.length === 0) return found;
  const { servedInfo } = await import("./_gateway_served.ts");
  const records = await Promise.all(candidates.map(servedInfo));
  candidates.forEach((name, i) => {
    if (records[i] !== undefined) found.set(name, records[i]);
  });
  return found;
}

/**
 * The served record of each of `entries` served here, by name, as `gateway list` and `term`
 * mark them: a system entry (a packaged service may serve it) or a user one serve made.
 */
export function servedEntries(
  roots: RegistryRoots,
  entries: readonly GatewayEntry[],
): Promise<Map<string, ServedRecord>> {
  // Asked only of names a gateway home holds (usually none): the system names are found then.
  let system: Set<string> | undefined;
  return servedHere(entries.map((e) => e.name), (name) => {
    system ??= new Set(entries.filter((e) => e.source === "system").map((e) => e.name));
    return system.has(name) || madeByServe(roots, name);
  });
}

/**
 * Refuses to `verb` (rename, remove) a registration whose gateway is served here: it could
 * then be stopped only by a name no listing shows.
 *
 * @throws {UserError} naming the launcher, with the stop command as the hint.
 */
export async function refuseWhileServed(
  roots: RegistryRoots,
  name: string,
  verb: string,
): Promise<void> {
  if (!madeByServe(roots, name)) return;
  const record = (await servedHere([name])).get(name);
  if (record === undefined) return;
  throw new UserError(
    `Gateway '${name}' is being served here (launcher pid ${record.pid}); cannot ${verb} it`,
    { hint: `Stop it first: \`${programCommand("gateway", "stop", name)}\`` },
  );
}
