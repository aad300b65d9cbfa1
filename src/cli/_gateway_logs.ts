/**
 * What `gateway logs [NAME] [-f] [-n N]` does: prints (and follows) the log file of a gateway
 * served here with `serve --detach`. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { programCommand } from "../errors/mod.ts";
import { followLog, gatewayLogPath, openLog, processStart } from "../serve/mod.ts";
import { effectiveUid, processEnv } from "../host/mod.ts";
import { UsageError, UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { served, servedLogText, targetName } from "./_gateway_served.ts";
import { cliRoots } from "./_gateway_context.ts";
import { madeByServe, readGatewayMetadata } from "../registry/mod.ts";

/** `gateway logs [NAME] [-f] [-n N]`. */
export async function gatewayLogs(input: CommandInput): Promise<void> {
  const { options } = input;
  const lines = typeof options.lines === "string" ? lineCount(options.lines) : undefined;
  const target = await targetName(input, "logs");
  const found = await served(target);
  const record = found.state === "served" ? found.record : undefined;
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
  // Another user's log (root acting for them) is read as a file of theirs, never followed.
  const owner = found.state === "served" ? found.owner ?? effectiveUid() : effectiveUid();
  const path = record?.logPath ?? gatewayLogPath(processEnv, effectiveUid(), target);
  const log = await openLog(path, owner, lines).catch(async (error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    const registered = await readGatewayMetadata(cliRoots(), target).catch(() => undefined);
    if (
      registered !== undefined &&
      !(registered.source === "user" && madeByServe(cliRoots(), target))
    ) {
      throw new UserError(`No log for gateway "${target}": openshell does not serve it`, {
        hint: `Its log is where it runs; \`${
          programCommand("gateway", "info", target)
        }\` shows where it is registered`,
      });
    }
    throw new UserError(`No log for gateway "${target}" at ${path}`, {
      hint: `Only gateways served in the background have a log file: \`${
        programCommand("serve", "--name", target, "--detach")
      }\``,
    });
  });
  // As `podman logs -f`: following ends when the gateway stops (at once if it is not served),
  // or on SIGINT/SIGTERM, caught before the first line is out so that no signal is missed.
  const following = options.follow && record !== undefined;
  const stop = new AbortController();
  const signals = ["SIGINT", "SIGTERM"] as const;
  const onSignal = () => stop.abort();
  if (following) { for (const signal of signals) Deno.addSignalListener(signal, onSignal); }
  try {
    await writeOut(log.tail);
    if (!following || record === undefined) return;
    const serving = async () => (await processStart(record.pid)) === record.pidStart;
    await followLog(log, writeOut, stop.signal, serving);
  } finally {
    if (following) { for (const signal of signals) Deno.removeSignalListener(signal, onSignal); }
    log.file?.close();
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
