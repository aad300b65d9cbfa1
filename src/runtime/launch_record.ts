import { join } from "../path/mod.ts";
import { atomicWriteFileSync } from "../files/mod.ts";

/**
 * What one launch of a gateway left on disk, written before the runtime starts so that a
 * launcher killed with SIGKILL can be cleaned up by the next launch of the same name.
 */
export interface LaunchRecord {
  containerId: string;
  /** The staged bundle directory. */
  bundle: string;
  /** The runtime executable and its state root. */
  runtimePath: string;
  stateRoot: string;
  /** Cgroup directories this launch expects the runtime to create. */
  cgroupDirs: string[];
  /** The launcher's pid. */
  pid: number;
}

const FILE = "launch.json";

/**
 * Writes the record into `dir` (0600), synchronously: the launch waits for it before the
 * runtime starts, and `dir` is its own (its lock holder cleared the temp files it had left).
 */
export function writeLaunchRecord(dir: string, record: LaunchRecord): void {
  // Not durable: it describes a container of this boot, which a crash or reboot ends too.
  atomicWriteFileSync(join(dir, FILE), JSON.stringify(record, null, 2) + "\n", {
    mode: 0o600,
    durable: false,
  });
}

/** Reads the record in `dir`; `undefined` when there is none or it is unreadable. */
export function readLaunchRecord(dir: string): LaunchRecord | undefined {
  try {
    const value = JSON.parse(Deno.readTextFileSync(join(dir, FILE)));
    const strings = ["containerId", "bundle", "runtimePath", "stateRoot"];
    if (strings.some((k) => typeof value?.[k] !== "string")) return undefined;
    if (!Array.isArray(value.cgroupDirs)) return undefined;
    return value as LaunchRecord;
  } catch {
    return undefined;
  }
}

/** Removes the record in `dir`. */
export async function removeLaunchRecord(dir: string): Promise<void> {
  await Deno.remove(join(dir, FILE)).catch(() => {});
}
