/**
 * What a running `serve` leaves for other commands: the served record once the gateway
 * answers, removed when the launch ends, while it still holds the name's lock.
 *
 * @module
 */
import { gatewayRuntimeDir } from "../runtime/mod.ts";
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
export interface ServeTracking {
  ready(gateway: { url: string; containerId: string; runtime: OciRuntime }): Promise<void>;
  /** Removes the record, if written; called before the launch releases the name's lock. */
  ended(): Promise<void>;
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
    async ended() {
      if (written) await removeServedRecord(dir, Deno.pid);
    },
  };
}
