/**
 * What a running `serve` leaves for other commands: the served record once the gateway
 * answers, removed when serve ends, with the name's dir once nothing else is left in it.
 *
 * @module
 */
import { gatewayRuntimeDir, removeEmptyDir } from "../runtime/mod.ts";
import { SERVE_LOG_VARIABLE } from "./gateway_log_file.ts";
import type { OciRuntime } from "../runtime/mod.ts";
import {
  ownCommand,
  processStart,
  removeServedRecord,
  systemdUnit,
  writeServedRecord,
} from "./served_record.ts";
import type { EnvLookup } from "../host/mod.ts";

/** The served record of one serve, written when its gateway answers. */
export interface ServeTracking extends AsyncDisposable {
  ready(gateway: { url: string; containerId: string; runtime: OciRuntime }): Promise<void>;
}

/** Starts tracking this serve: the record once ready, removed at the end. */
export function trackServe(options: {
  name: string;
  /** Where the caller's running gateways are kept. */
  gatewayHome: string;
  uid: number;
  tokenPath: string;
  env: EnvLookup;
}): ServeTracking {
  const dir = gatewayRuntimeDir(options.gatewayHome, options.name);
  const logPath = options.env(SERVE_LOG_VARIABLE) || null;
  let written = false;
  return {
    async ready({ url, containerId, runtime }) {
      const unit = systemdUnit(
        await Deno.readTextFile("/proc/self/cgroup").catch(() => ""),
        options.env("INVOCATION_ID"),
      );
      await writeServedRecord(dir, {
        name: options.name,
        pid: Deno.pid,
        pidStart: (await processStart(Deno.pid)) ?? 0,
        uid: options.uid,
        containerId,
        runtime: runtime.name,
        runtimePath: runtime.path,
        url,
        readyAt: new Date().toISOString(),
        logPath,
        tokenPath: options.tokenPath,
        unit: unit?.name ?? null,
        unitScope: unit?.scope ?? null,
        command: await ownCommand(),
      });
      written = true;
    },
    async [Symbol.asyncDispose]() {
      if (!written) return;
      await removeServedRecord(dir, Deno.pid);
      // The launch's lock went first; a launch that took the name meanwhile keeps the dir.
      await removeEmptyDir(dir);
    },
  };
}
