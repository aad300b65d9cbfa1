/**
 * The gateway commands about gateways served on this machine: `gateway stop`, `gateway
 * logs`, and the served part of `gateway info`.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import type { ServedRecord } from "../serve/mod.ts";
import { UsageError, UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { activeInputs, cliRoots, nameArgument } from "./gateway_context.ts";
import { printMessage } from "./output.ts";

/** `gateway stop [NAME]`. */
export async function stopGateway(input: CommandInput): Promise<void> {
  const target = await targetName(input, "stop");
  const { dir, record } = await served(target);
  if (record === undefined) throw await notServed(target, dir);
  const { stopServedGateway } = await import("../serve/mod.ts");
  await stopServedGateway(dir, record);
  printMessage(`Gateway "${target}" stopped`);
}

/** `gateway logs [NAME] [-f] [-n N]`. */
export async function gatewayLogs(input: CommandInput): Promise<void> {
  const { options } = input;
  const lines = typeof options.lines === "string" ? lineCount(options.lines) : undefined;
  const target = await targetName(input, "logs");
  const { record } = await served(target);
  if (record !== undefined && record.logPath === null) {
    throw new UserError(
      `Gateway "${target}" is served ${record.unit ? `by ${record.unit}` : "in the foreground"}`,
      {
        hint: record.unit
          ? `Its log is in the journal: \`journalctl ${
            record.uid === 0 ? "" : "--user "
          }-u ${record.unit}\``
          : "Its log is on the terminal that started it; `serve --detach` writes a log file",
      },
    );
  }
  const { followLog, gatewayLogPath, readLogTail, rotatedLogPath } = await import(
    "../serve/mod.ts"
  );
  const { effectiveUid, processEnv } = await import("../host/mod.ts");
  const path = record?.logPath ?? gatewayLogPath(processEnv, effectiveUid(), target);
  const exists = async (p: string) => await Deno.stat(p).then(() => true, () => false);
  if (!(await exists(path)) && !(await exists(rotatedLogPath(path)))) {
    throw new UserError(`No log for gateway "${target}" at ${path}`, {
      hint: "Only gateways started with `openshell serve --detach` have a log file",
    });
  }
  const size = (await Deno.stat(path).catch(() => undefined))?.size ?? 0;
  await writeOut(new TextEncoder().encode(await readLogTail(path, lines)));
  if (!options.follow) return;
  const stop = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => stop.abort();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    await followLog(path, size, writeOut, stop.signal);
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  }
}

/** What `gateway info` adds for a gateway served here; `undefined` when it is not. */
export async function servedInfo(name: string): Promise<ServedRecord | undefined> {
  // Another user's state that cannot be read counts as not served here.
  return (await served(name).catch(() => undefined))?.record;
}

/** The served part of `gateway info` as text lines. */
export function renderServedText(record: ServedRecord, now = Date.now()): string {
  const lines: [string, string][] = [
    [
      "served",
      `here, launcher pid ${record.pid}${record.unit ? ` in ${record.unit}` : ""}, up ${
        formatUptime(now - Date.parse(record.readyAt))
      }`,
    ],
    ["container", record.containerId],
    ["runtime", `${record.runtime} (${record.runtimePath})`],
    ["log", record.logPath ?? "on the terminal that started it"],
    ["token", record.tokenPath],
  ];
  return lines.map(([key, value]) => `${`${key}:`.padEnd(10)} ${value}`).join("\n");
}

/**
 * A duration as `1d 2h`, `3h 4m`, `5m 6s` or `7s`.
 *
 * @example
 * ```ts
 * formatUptime(3_723_000); // "1h 2m"
 * ```
 */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor(s / 3600) % 24, Math.floor(s / 60) % 60];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

async function served(name: string) {
  // Loaded only here: the launch's modules are not for the other gateway commands.
  const { gatewayRuntimeDir } = await import("../runtime/mod.ts");
  const { readServedRecord } = await import("../serve/mod.ts");
  const { effectiveUid, openshellDir, processEnv } = await import("../host/mod.ts");
  const uid = effectiveUid();
  const own = gatewayRuntimeDir(openshellDir("runtime", processEnv, uid), name);
  // Root's own gateways are under /run/openshell; given an ordinary user's XDG_RUNTIME_DIR,
  // root looks at that user's gateways too.
  const variable = processEnv("XDG_RUNTIME_DIR");
  const theirs = uid === 0 && variable?.startsWith("/")
    ? gatewayRuntimeDir(join(variable, "openshell"), name)
    : undefined;
  let dir = own;
  let record = await readServedRecord(own);
  if (record === undefined && theirs !== undefined) {
    const found = await readServedRecord(theirs);
    if (found !== undefined) [dir, record] = [theirs, found];
  }
  if (record === undefined) {
    const denied = await Deno.stat(join(dir, "lock")).then(
      () => false,
      (error) => error instanceof Deno.errors.PermissionDenied,
    );
    if (denied) {
      throw new UserError(`Gateway "${name}" in ${dir} belongs to another user`, {
        hint: "Only that user or root can stop it or read its state",
      });
    }
  }
  return { dir, record };
}

/**
 * Why `name` cannot be stopped here: a system or remote entry, a launcher that was killed
 * and left its container, or simply not served.
 */
async function notServed(name: string, dir: string): Promise<UserError> {
  const { readGatewayMetadata } = await import("../registry/mod.ts");
  const found = await readGatewayMetadata(await cliRoots(), name).catch(() => undefined);
  if (found?.metadata.is_remote) {
    return new UserError(
      `Gateway "${name}" is remote (${found.metadata.gateway_endpoint}): it is not served here`,
      { hint: "Stop it on the machine that runs it" },
    );
  }
  if (found?.source === "system") {
    return new UserError(`Gateway "${name}" is a system gateway, not served by you here`, {
      hint: "System gateways run as services: stop it with systemctl",
    });
  }
  const { readLaunchRecord } = await import("../runtime/mod.ts");
  const left = await readLaunchRecord(dir);
  const { processStart } = await import("../serve/mod.ts");
  if (left !== undefined && (await processStart(left.pid)) !== undefined) {
    return new UserError(`Gateway "${name}" is still starting (launcher pid ${left.pid})`, {
      hint: "Try again once it answers",
    });
  }
  if (left !== undefined) {
    return new UserError(
      `Gateway "${name}" is not served: its launcher (pid ${left.pid}) is gone and left ` +
        `container "${left.containerId}" behind`,
      { hint: `The next \`openshell serve --name ${name}\` removes it first` },
    );
  }
  return new UserError(`Gateway "${name}" is not served on this machine`, {
    hint: `\`openshell serve --name ${name} --detach\` serves it; \`openshell gateway list\` ` +
      "shows the registrations",
  });
}

async function targetName(input: CommandInput, verb: string): Promise<string> {
  const { resolveActiveGateway, validateGatewayName } = await import("../registry/mod.ts");
  const target = input.args.name as string | undefined ??
    (await resolveActiveGateway(await cliRoots(), await activeInputs(input)))?.name;
  if (target === undefined) {
    throw new UsageError("No gateway named and none is active", {
      hint: `Run \`openshell gateway ${verb} <name>\`; \`openshell gateway list\` shows the names`,
    });
  }
  return nameArgument(target, validateGatewayName);
}

function lineCount(text: string): number {
  if (!/^\d+$/.test(text)) {
    throw new UsageError(`invalid line count "${text}": expected a whole number`, {
      hint: "Use e.g. -n 50",
    });
  }
  return Number(text);
}

async function writeOut(chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.length) written += await Deno.stdout.write(chunk.subarray(written));
}
