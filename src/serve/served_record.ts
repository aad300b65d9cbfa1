/**
 * What a running launcher tells other commands about the gateway it serves: written once
 * the gateway answers, removed when the launcher ends. `gateway stop`, `logs`, `info` and
 * `term` read it; a record whose launcher is gone (killed with SIGKILL) is ignored.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { atomicWriteFile } from "../files/mod.ts";
import { shellWord } from "../errors/mod.ts";
import type { RuntimeName } from "../runtime/mod.ts";

/** A gateway served on this machine. */
export interface ServedRecord {
  name: string;
  /** The launcher's pid and its start time in clock ticks since boot (against pid reuse). */
  pid: number;
  pidStart: number;
  uid: number;
  containerId: string;
  runtime: RuntimeName;
  runtimePath: string;
  url: string;
  /** When the gateway answered, ISO 8601. */
  readyAt: string;
  /** The log file of a detached launcher; `null` when its output goes to a terminal. */
  logPath: string | null;
  tokenPath: string;
  /** The systemd unit the launcher runs in, when started by systemd. */
  unit: string | null;
  /** Whose systemd manager runs `unit`: the system's, or the user's (`systemctl --user`). */
  unitScope: UnitScope | null;
}

/** The systemd manager a unit belongs to. */
export type UnitScope = "system" | "user";

const FILE = "served.json";

/** The record's file keys are snake_case; records written before used these camelCase ones. */
const CAMEL_KEYS = [
  "pidStart",
  "containerId",
  "runtimePath",
  "readyAt",
  "logPath",
  "tokenPath",
  "unitScope",
] as const;

/** `key` in snake_case: `pidStart` is `pid_start`. */
function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * The record as its file and `gateway info -o json` hold it: snake_case keys.
 *
 * @example
 * ```ts
 * servedRecordJson({ pidStart: 7 } as ServedRecord); // { pid_start: 7 }
 * ```
 */
export function servedRecordJson(record: ServedRecord): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [snakeKey(key), value]));
}

/** Writes the record into the gateway's runtime dir (0600). */
export async function writeServedRecord(dir: string, record: ServedRecord): Promise<void> {
  const text = JSON.stringify(servedRecordJson(record), null, 2) + "\n";
  await atomicWriteFile(join(dir, FILE), text, { mode: 0o600 });
}

/** Removes the record, if this launcher's. */
export async function removeServedRecord(dir: string, pid: number): Promise<void> {
  const record = await readRecordFile(dir);
  if (record?.pid === pid) await Deno.remove(join(dir, FILE)).catch(() => {});
}

/**
 * The record in `dir` when its launcher is still running; `undefined` when there is none,
 * it cannot be read, or its launcher is gone.
 */
export async function readServedRecord(dir: string): Promise<ServedRecord | undefined> {
  const record = await readRecordFile(dir);
  if (record === undefined) return undefined;
  return (await processStart(record.pid)) === record.pidStart ? record : undefined;
}

async function readRecordFile(dir: string): Promise<ServedRecord | undefined> {
  try {
    const value = JSON.parse(await Deno.readTextFile(join(dir, FILE)));
    for (const key of CAMEL_KEYS) {
      if (value?.[snakeKey(key)] !== undefined) value[key] = value[snakeKey(key)];
      delete value?.[snakeKey(key)];
    }
    const numbers = ["pid", "pidStart", "uid"];
    const strings = ["name", "containerId", "runtime", "runtimePath", "url", "readyAt"];
    if (numbers.some((k) => typeof value?.[k] !== "number")) return undefined;
    if (strings.some((k) => typeof value?.[k] !== "string")) return undefined;
    return value as ServedRecord;
  } catch {
    return undefined;
  }
}

/**
 * A process's start time (clock ticks since boot) from `/proc/<pid>/stat`; `undefined`
 * when it is gone or a zombie.
 */
export async function processStart(pid: number): Promise<number | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/**
 * The systemd unit a process runs in and whose manager runs it, from its cgroup table and
 * `INVOCATION_ID` (which systemd sets for every unit it starts); `null` outside systemd. A
 * unit below a `user@<uid>.service` belongs to that user's manager.
 *
 * @example
 * ```ts
 * systemdUnit("0::/system.slice/openshell-gateway@local.service\n", "9f2c");
 * // { name: "openshell-gateway@local.service", scope: "system" }
 * ```
 */
export function systemdUnit(
  cgroupTable: string,
  invocationId: string | undefined,
): { name: string; scope: UnitScope } | null {
  if (!invocationId) return null;
  const paths = cgroupTable.split("\n").map((line) => line.split(":").slice(2).join(":"));
  for (const path of paths) {
    const parts = path.split("/");
    const at = parts.findLastIndex((part) => /\.(service|scope)$/.test(part));
    const name = parts[at];
    if (name === undefined || !name.endsWith(".service")) continue;
    const user = parts.slice(0, at).some((part) => /^user@\d+\.service$/.test(part));
    return { name, scope: user ? "user" : "system" };
  }
  return null;
}

/**
 * The `journalctl` command that shows the log of a gateway served by a systemd unit, for the
 * user `viewerUid` who runs it: `journalctl -u UNIT` for a system unit, `journalctl --user -u
 * UNIT` for the viewer's own user unit, and for root looking at another user's unit the
 * journal's fields for it. `undefined` when no unit serves it.
 *
 * @example
 * ```ts
 * journalCommand({ unit: "openshell-gateway@dev.service", unitScope: "user", uid: 1000 }, 1000);
 * // "journalctl --user -u openshell-gateway@dev.service"
 * ```
 */
export function journalCommand(
  record: Pick<ServedRecord, "unit" | "unitScope" | "uid">,
  viewerUid: number,
): string | undefined {
  if (!record.unit) return undefined;
  const unit = shellWord(record.unit);
  // Records written before the scope was kept: root's came from the system manager.
  const scope = record.unitScope ?? (record.uid === 0 ? "system" : "user");
  if (scope === "system") return `journalctl -u ${unit}`;
  if (viewerUid === record.uid) return `journalctl --user -u ${unit}`;
  return `journalctl _UID=${record.uid} --user-unit ${unit}`;
}
