/**
 * What a running launcher tells other commands about the gateway it serves: written once
 * the gateway answers, removed when the launcher ends. `gateway stop`, `logs`, `info` and
 * `term` read it; a record whose launcher is gone (killed with SIGKILL) is ignored.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { atomicWriteFile } from "../files/mod.ts";
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
}

const FILE = "served.json";

/** The record's file keys are snake_case; records written before used these camelCase ones. */
const CAMEL_KEYS = [
  "pidStart",
  "containerId",
  "runtimePath",
  "readyAt",
  "logPath",
  "tokenPath",
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
 * The systemd unit a process runs in, from its cgroup table and `INVOCATION_ID` (which
 * systemd sets for every unit it starts); `null` outside systemd.
 *
 * @example
 * ```ts
 * systemdUnit("0::/system.slice/openshell-gateway@local.service\n", "9f2c");
 * // "openshell-gateway@local.service"
 * ```
 */
export function systemdUnit(cgroupTable: string, invocationId: string | undefined): string | null {
  if (!invocationId) return null;
  const paths = cgroupTable.split("\n").map((line) => line.split(":").slice(2).join(":"));
  for (const path of paths) {
    const unit = path.split("/").reverse().find((part) => /\.(service|scope)$/.test(part));
    if (unit?.endsWith(".service")) return unit;
  }
  return null;
}
