import { processStart, type ServedRecord } from "../../src/serve/served_record.ts";

/** A served record for the running process `pid`, as a launcher writes it. */
export async function servedRecordFor(
  pid: number,
  change: Partial<ServedRecord> = {},
): Promise<ServedRecord> {
  return {
    name: "dev",
    pid,
    pidStart: (await processStart(pid))!,
    uid: Deno.uid()!,
    containerId: "openshell-dev-00000000",
    runtime: "youki",
    runtimePath: "/usr/local/bin/youki",
    url: "http://127.0.0.1:8090",
    readyAt: new Date().toISOString(),
    logPath: null,
    tokenPath: "/t",
    unit: null,
    unitScope: null,
    command: (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").filter((a) => a !== ""),
    ...change,
  };
}
