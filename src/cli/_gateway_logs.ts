/**
 * What `gateway logs [NAME] [-f] [-n N]` does: prints (and follows) the log file of a gateway
 * served here with `serve --detach`. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { programCommand } from "../errors/mod.ts";
import { followLog, gatewayLogPath, readLogTail, rotatedLogPath } from "../serve/mod.ts";
import { effectiveUid, processEnv } from "../host/mod.ts";
import { UsageError, UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { served, servedLogText, targetName } from "./_gateway_served.ts";

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
          ? `Its log is ${servedLogText(record, effectiveUid())}`
          : "Its log is on the terminal that started it; `serve --detach` writes a log file",
      },
    );
  }
  const path = record?.logPath ?? gatewayLogPath(processEnv, effectiveUid(), target);
  const exists = async (p: string) => await Deno.stat(p).then(() => true, () => false);
  if (!(await exists(path)) && !(await exists(rotatedLogPath(path)))) {
    throw new UserError(`No log for gateway "${target}" at ${path}`, {
      hint: `Only gateways started with \`${programCommand("serve", "--detach")}\` have a log file`,
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
