/**
 * What a running `serve` leaves for other commands: the served record once the gateway
 * answers (removed when serve ends), and for a detached launcher the rotation of its log.
 *
 * @module
 */
import { gatewayRuntimeDir } from "../runtime/mod.ts";
import { logMaxBytes, rotateLogIfLarge } from "./gateway_log_file.ts";
import type { OciRuntime } from "../runtime/mod.ts";
import {
  processStart,
  removeServedRecord,
  systemdUnit,
  writeServedRecord,
} from "./served_record.ts";
import type { EnvLookup } from "../host/mod.ts";

/** The variable through which `serve --detach` hands its launcher the log it writes. */
export const SERVE_LOG_VARIABLE = "OPENSHELL_SERVE_LOG";

/** How often a detached launcher checks its log's size. */
const ROTATE_EVERY_MS = 2000;

/** The served record of one serve, written when its gateway answers. */
export interface ServeTracking extends AsyncDisposable {
  ready(gateway: { url: string; containerId: string; runtime: OciRuntime }): Promise<void>;
}

/** Starts tracking this serve: log rotation now (when detached), the record once ready. */
export function trackServe(options: {
  name: string;
  runtimeDir: string;
  uid: number;
  tokenPath: string;
  env: EnvLookup;
}): ServeTracking {
  const dir = gatewayRuntimeDir(options.runtimeDir, options.name);
  const logPath = options.env(SERVE_LOG_VARIABLE) || null;
  const maxBytes = logMaxBytes(options.env);
  const rotation = logPath === null ? undefined : setInterval(
    () => void rotateLogIfLarge(logPath, maxBytes).catch(() => {}),
    ROTATE_EVERY_MS,
  );
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
      });
      written = true;
    },
    async [Symbol.asyncDispose]() {
      if (rotation !== undefined) clearInterval(rotation);
      if (written) await removeServedRecord(dir, Deno.pid);
    },
  };
}
