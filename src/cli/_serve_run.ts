/**
 * `openshell serve` on the command line: runs the serve use case and renders what it tells
 * (progress, warnings, the ready gateway, how it ended) as messages on stderr, with serve's
 * exit statuses. Errors go through the one reporter, so a closed pipe ends with 141.
 *
 * @module
 */
import { programCommand } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";
import { validateGatewayName } from "../registry/mod.ts";
import { processEnv } from "../host/mod.ts";
import {
  type DetachedServeOptions,
  notifyServiceManager,
  openDetachedLog,
  serveDetached,
  type ServeEvents,
  serveGateway,
  type ServeOptions,
} from "../serve/mod.ts";
import { nameArgument } from "./_gateway_context.ts";
import { printData, printMessage, printWarning, reportFailure } from "./_output.ts";
import { renderData, type ReportFormat } from "./_output.ts";
import { redirectStderr } from "./_write_stdio.ts";

/** The ready line in a detached launcher's log, as {@linkcode readyLine} writes it. */
const READY_LINE = /^Gateway ".*" is ready at .*$/m;

/** The line that says a served gateway answers. */
function readyLine(gateway: { name: string; url: string; containerId: string }): string {
  return `Gateway "${gateway.name}" is ready at ${gateway.url} (container ${gateway.containerId})`;
}

const SERVE_EVENTS: ServeEvents = {
  progress: printMessage,
  warning: printWarning,
  ready: (gateway) => printMessage(readyLine(gateway)),
};

/**
 * Serves in the foreground until the gateway stops; returns the exit status (0 after a
 * clean stop or a stop before it answered, 1 when the gateway ended with an error).
 */
export async function runServe(options: ServeOptions): Promise<number> {
  // Detached, the launcher writes its log itself: its messages and the gateway's lines.
  using log = openDetachedLog(processEnv);
  if (log !== undefined) redirectStderr((bytes) => log.write(bytes));
  try {
    nameArgument(options.name, validateGatewayName);
    const events = log === undefined
      ? SERVE_EVENTS
      : { ...SERVE_EVENTS, output: (chunk: Uint8Array) => log.write(chunk) };
    const ended = await serveGateway(options, events);
    if (ended.outcome === "cancelled") {
      printMessage(`Gateway "${ended.name}" stopped before it was ready`);
      return 0;
    }
    printMessage(`Gateway "${ended.name}" stopped`);
    return ended.code === 0 ? 0 : 1;
  } catch (error) {
    // Under a service manager the reason is its status (`systemctl status`) too.
    const reason = (error instanceof Error ? error.message : String(error)).split("\n")[0];
    notifyServiceManager(`STATUS=error: ${reason}`, processEnv);
    return reportFailure(error);
  } finally {
    redirectStderr(undefined);
  }
}

/**
 * Serves in the background; returns once the gateway answers (0) or with the status of the
 * launch's error, which is the launcher's own `error:` line and hint.
 */
export async function runServeDetached(
  options: DetachedServeOptions,
  format: ReportFormat,
): Promise<number> {
  try {
    const launch = await serveDetached(options);
    if (launch.outcome === "failed") throw launchFailure(launch.log, launch.code);
    const { name } = launch;
    // What a foreground serve warns about, the launcher wrote to the log.
    for (const line of launch.log.split("\n")) {
      if (line.startsWith("warning: ")) printWarning(line.slice("warning: ".length));
    }
    printMessage(READY_LINE.exec(launch.log)?.[0] ?? `Gateway "${name}" is ready at ${launch.url}`);
    printMessage(`Launcher pid ${launch.pid} keeps serving it in the background`);
    printMessage(`Stop it with: ${programCommand("gateway", "stop", name)}`);
    printMessage(`Log: ${launch.logPath} (${programCommand("gateway", "logs", name, "-f")})`);
    printData(
      format === "text" ? launch.url : await renderData(format, {
        name,
        url: launch.url,
        pid: launch.pid,
        container: launch.containerId,
        log: launch.logPath,
      }),
    );
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}

/** The error a failed launch wrote (its `error:` line and what follows), as a UserError. */
function launchFailure(log: string, code: number): UserError {
  const lines = log.split("\n").filter((line) => line !== "" && !line.startsWith("{"));
  const at = lines.findIndex((line) => line.startsWith("error:"));
  if (at < 0) {
    return new UserError(
      `The detached launcher exited with status ${code} before the gateway answered`,
      {
        hint: lines.slice(-3).join(" / ") || "Run serve in the foreground to see why",
      },
    );
  }
  const message = lines[at]!.slice("error:".length).trim();
  const hint = lines.slice(at + 1).find((line) => line.startsWith("hint:"));
  return new UserError(message, {
    ...(hint ? { hint: hint.slice("hint:".length).trim() } : {}),
    exitCode: code === 2 ? 2 : 1, // a usage error stays one
  });
}
