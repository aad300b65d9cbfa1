/**
 * Finding a served gateway by name from any shell: the caller's own in each of its gateway
 * homes (whatever `XDG_RUNTIME_DIR` says), and for root, an ordinary user's in that user's
 * homes. What root finds there the user wrote, so it is read under the files rule and acted
 * on only once proven: the directories and the record are the user's own and no links, the
 * record names that user and the gateway, and its pid is that user's launcher (its uids,
 * start time and command line from `/proc`). A record that fails a check is reported,
 * never acted on.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { checkOwnedDirs } from "../files/mod.ts";
import { UserError } from "../errors/mod.ts";
import { effectiveUid, gatewayHomes } from "../host/mod.ts";
import { gatewayRuntimeDir } from "../runtime/mod.ts";
import {
  launcherProblem,
  processStart,
  readForeignServedRecord,
  readServedRecord,
  type ServedRecord,
} from "./served_record.ts";

/**
 * A gateway served on this machine (`owner` is set when it is another user's, found by
 * root), or the directory its launch state would be in when it is not.
 */
export type ServedLookup =
  | { state: "served"; dir: string; record: ServedRecord; owner?: number }
  | { state: "none"; dir: string };

/**
 * Finds gateway `name` served by the caller or, for root acting on others' gateways
 * (`others`), by an ordinary user.
 *
 * @throws {UserError} when root finds a user's record that fails a check, or several
 *   users serving `name`.
 */
export async function findServed(
  name: string,
  options: { others?: boolean; uid?: number } = {},
): Promise<ServedLookup> {
  const uid = options.uid ?? effectiveUid();
  const homes = gatewayHomes(uid);
  for (const home of homes) {
    const dir = gatewayRuntimeDir(home, name);
    const record = await readOwnServedRecord(home, dir, uid);
    if (record !== undefined) return { state: "served", dir, record };
  }
  const none = { state: "none" as const, dir: gatewayRuntimeDir(homes[0]!, name) };
  if (uid !== 0 || !options.others) return none;
  const found: { dir: string; record: ServedRecord; owner: number }[] = [];
  const refused: string[] = [];
  for (const { base, home, owner } of await userGatewayHomes()) {
    const dir = gatewayRuntimeDir(home, name);
    if (!(await Deno.lstat(join(dir, "served.json")).then(() => true, () => false))) continue;
    try {
      await checkOwnedDirs(base, dir, owner);
      const record = await readForeignServedRecord(dir, owner);
      if (record === undefined) continue;
      // A record whose launcher has ended is stale, not a claim.
      if (record.pid > 1 && (await processStart(record.pid)) !== record.pidStart) continue;
      const problem = record.name !== name
        ? `it names gateway "${record.name}"`
        : await launcherProblem(record, owner);
      if (problem !== undefined) refused.push(`${dir}/served.json: ${problem}`);
      else found.push({ dir, record, owner });
    } catch (error) {
      refused.push((error as Error).message);
    }
  }
  if (found.length > 1) {
    throw new UserError(
      `Gateway "${name}" is served by several users (uids ${found.map((f) => f.owner).join(", ")})`,
      { hint: `Stop it as the user meant: \`runuser -u USER -- openshell gateway stop ${name}\`` },
    );
  }
  if (found.length === 1) return { state: "served", ...found[0]! };
  if (refused.length > 0) {
    throw new UserError(
      `A served record of gateway "${name}" fails a check, so nothing was done: ${
        refused.join("; ")
      }`,
      { hint: "Its user wrote it: have them stop their gateway, or remove the record" },
    );
  }
  return none;
}

/** Every gateway `uid` serves here, from each of its gateway homes. */
export async function listServed(uid = effectiveUid()): Promise<ServedRecord[]> {
  const found: ServedRecord[] = [];
  for (const home of gatewayHomes(uid)) {
    const gateways = join(home, "gateways");
    const names = await Array.fromAsync(Deno.readDir(gateways), (e) => e.name).catch(() => []);
    for (const name of names) {
      const record = await readOwnServedRecord(home, gatewayRuntimeDir(home, name), uid);
      if (record !== undefined) found.push(record);
    }
  }
  return found;
}

/**
 * The record in `dir` of the caller's gateway home `home`, only when every directory from
 * the home down is the caller's own and no one else's to write: a `/tmp/openshell-<uid>` that
 * another user made first holds nothing the caller acts on.
 */
export async function readOwnServedRecord(
  home: string,
  dir: string,
  uid: number,
): Promise<ServedRecord | undefined> {
  if (!(await Deno.lstat(join(dir, "served.json")).then(() => true, () => false))) return undefined;
  const owned = await checkOwnedDirs(home, dir, uid).then(() => true, () => false);
  return owned ? await readServedRecord(dir) : undefined;
}

/**
 * Every ordinary user's gateway homes that exist: `/run/user/<uid>/openshell` (checked from
 * `/run/user/<uid>`) and `/tmp/openshell-<uid>`.
 */
async function userGatewayHomes(): Promise<{ base: string; home: string; owner: number }[]> {
  const homes: { base: string; home: string; owner: number }[] = [];
  const names = async (dir: string) =>
    await Array.fromAsync(Deno.readDir(dir), (entry) => entry.name).catch(() => [] as string[]);
  for (const entry of await names("/run/user")) {
    if (!/^[1-9]\d*$/.test(entry)) continue;
    const base = `/run/user/${entry}`;
    homes.push({ base, home: join(base, "openshell"), owner: Number(entry) });
  }
  for (const entry of await names("/tmp")) {
    const uid = /^openshell-([1-9]\d*)$/.exec(entry)?.[1];
    if (uid === undefined) continue;
    const home = `/tmp/${entry}`;
    homes.push({ base: home, home, owner: Number(uid) });
  }
  return homes;
}
