/**
 * What a running launcher tells other commands about the gateway it serves: written once
 * the gateway answers, removed when the launcher ends. `gateway stop`, `logs`, `info` and
 * `term` read it; a record whose launcher is gone (killed with SIGKILL) is ignored.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { atomicWriteFile, readUntrusted } from "../files/mod.ts";
import { readRegularTextFile } from "../bounded_read/mod.ts";
import { shellWord, UserError } from "../errors/mod.ts";
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
  /** The launcher's command line, as `/proc/<pid>/cmdline` shows it. */
  command: string[];
}

/** The systemd manager a unit belongs to. */
export type UnitScope = "system" | "user";

const FILE = "served.json";
/** Far above any real record. */
const RECORD_MAX_BYTES = 64 * 1024;

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

/**
 * The record in `dir`, a directory another user (`owner`) can write, read under the files
 * rule (no link, a regular file of theirs, bounded): `undefined` when there is none.
 *
 * @throws {UserError} when the file fails the rule or is not a record.
 */
export async function readForeignServedRecord(
  dir: string,
  owner: number,
): Promise<ServedRecord | undefined> {
  let text: string;
  try {
    text = new TextDecoder().decode(
      await readUntrusted(join(dir, FILE), { owner, maxBytes: RECORD_MAX_BYTES }),
    );
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const record = parseRecord(text);
  if (record === undefined) throw new UserError(`"${join(dir, FILE)}" is not a served record`);
  return record;
}

async function readRecordFile(dir: string): Promise<ServedRecord | undefined> {
  try {
    return parseRecord(await readRegularTextFile(join(dir, FILE), RECORD_MAX_BYTES));
  } catch {
    return undefined;
  }
}

function parseRecord(text: string): ServedRecord | undefined {
  try {
    const value = JSON.parse(text);
    for (const key of CAMEL_KEYS) {
      if (value?.[snakeKey(key)] !== undefined) value[key] = value[snakeKey(key)];
      delete value?.[snakeKey(key)];
    }
    const numbers = ["pid", "pidStart", "uid"];
    const strings = ["name", "containerId", "runtime", "runtimePath", "url", "readyAt"];
    if (numbers.some((k) => !Number.isSafeInteger(value?.[k]))) return undefined;
    if (strings.some((k) => typeof value?.[k] !== "string")) return undefined;
    if (value.logPath !== null && typeof value.logPath !== "string") return undefined;
    if (value.unit !== null && typeof value.unit !== "string") return undefined;
    // Records written before the command line was kept prove no launcher to another user.
    value.command ??= [];
    if (
      !Array.isArray(value.command) || value.command.some((a: unknown) => typeof a !== "string")
    ) {
      return undefined;
    }
    return value as ServedRecord;
  } catch {
    return undefined;
  }
}

/**
 * Why the process a record names is not the launcher of `owner` it claims to be, or
 * `undefined` when it is: it must run as `owner` (real, effective, saved and file uid),
 * have started when the record says, and run the recorded `serve` command line.
 */
export async function launcherProblem(
  record: ServedRecord,
  owner: number,
): Promise<string | undefined> {
  if (record.uid !== owner) return `it names uid ${record.uid} in a directory of uid ${owner}`;
  if (record.pid <= 1) return `it names pid ${record.pid}`;
  const status = await Deno.readTextFile(`/proc/${record.pid}/status`).catch(() => "");
  const uids = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(status)?.slice(1).map(Number);
  if (uids === undefined) return `its launcher (pid ${record.pid}) is gone`;
  if (uids.some((uid) => uid !== owner)) {
    return `pid ${record.pid} runs as uid ${uids.join("/")}, not as uid ${owner}`;
  }
  if ((await processStart(record.pid)) !== record.pidStart) {
    return `pid ${record.pid} did not start when the record says`;
  }
  const cmdline = await Deno.readTextFile(`/proc/${record.pid}/cmdline`).catch(() => "");
  const command = cmdline.split("\0").filter((arg) => arg !== "");
  if (!command.includes("serve") || command.join("\0") !== record.command.join("\0")) {
    return `pid ${record.pid} does not run the recorded serve command`;
  }
  return undefined;
}

/** This process's command line, for its record. */
export async function ownCommand(): Promise<string[]> {
  const cmdline = await Deno.readTextFile("/proc/self/cmdline").catch(() => "");
  return cmdline.split("\0").filter((arg) => arg !== "");
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
 * The `systemctl` command that stops (or starts) a gateway served by a systemd unit, for the
 * user `viewerUid` who runs it: through the system manager for a system unit (with `sudo` for
 * anyone but root), the viewer's own user manager for their unit, and for root acting on
 * another user's unit that user's manager, reached as that user (`ownerName` being the unit
 * owner's login name). `undefined` when no unit serves it.
 *
 * @example
 * ```ts
 * const record = { unit: "openshell-gateway@dev.service", unitScope: "user", uid: 1000 } as const;
 * systemctlCommand(record, 0, "stop", "alice");
 * // "runuser -u alice -- env XDG_RUNTIME_DIR=/run/user/1000 systemctl --user stop openshell-gateway@dev.service"
 * ```
 */
export function systemctlCommand(
  record: Pick<ServedRecord, "unit" | "unitScope" | "uid">,
  viewerUid: number,
  verb: "stop" | "start",
  ownerName: string | undefined,
): string | undefined {
  if (!record.unit) return undefined;
  const unit = shellWord(record.unit);
  if (unitScopeOf(record) === "system") {
    return `${viewerUid === 0 ? "" : "sudo "}systemctl ${verb} ${unit}`;
  }
  if (viewerUid === record.uid) return `systemctl --user ${verb} ${unit}`;
  // As the owner, to their manager's own socket: `-M NAME@` needs their session bus, which
  // only dbus-user-session provides.
  const owner = shellWord(ownerName ?? `#${record.uid}`);
  const runtimeDir = `/run/user/${record.uid}`;
  return `runuser -u ${owner} -- env XDG_RUNTIME_DIR=${runtimeDir} systemctl --user ${verb} ${unit}`;
}

/** Whose manager runs the unit; records written before the scope was kept: root's came from the system manager. */
function unitScopeOf(record: Pick<ServedRecord, "unitScope" | "uid">): "system" | "user" {
  return record.unitScope ?? (record.uid === 0 ? "system" : "user");
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
  if (unitScopeOf(record) === "system") return `journalctl -u ${unit}`;
  if (viewerUid === record.uid) return `journalctl --user -u ${unit}`;
  return `journalctl _UID=${record.uid} --user-unit ${unit}`;
}
