/**
 * `serve --detach`: starts the launcher in its own session with its output going to the
 * gateway's log, waits until the gateway answers or the launch fails, and returns while the
 * launcher goes on supervising.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { pathExists } from "../files/mod.ts";
import { validateGatewayName } from "../registry/mod.ts";
import { gatewayLogPath } from "./gateway_log_file.ts";
import { gatewayRuntimeDir } from "../runtime/mod.ts";
import { readServedRecord } from "./served_record.ts";
import { UserError } from "../errors/mod.ts";
import { effectiveUid, openshellDir, processEnv } from "../host/mod.ts";
import { printMessage } from "../cli/mod.ts";
import { SERVE_LOG_VARIABLE } from "./_serve_tracking.ts";

/** How long a detached launch may take to answer (the launcher's own limit is shorter). */
const READY_TIMEOUT_MS = 120_000;
const READY_LINE = /^Gateway ".*" is ready at .*$/m;

/**
 * Serves gateway `name` in the background with `args` (serve's own arguments without
 * `--detach`); returns the exit status once it answers (0) or its launch failed (1).
 */
export async function serveDetached(name: string, args: string[]): Promise<number> {
  validateGatewayName(name);
  const env = processEnv;
  const uid = effectiveUid();
  const logPath = gatewayLogPath(env, uid, name);
  const created = await createLogDir(dirname(logPath), uid);
  const logExisted = await pathExists(logPath);
  const offset = (await Deno.stat(logPath).catch(() => undefined))?.size ?? 0;
  await Deno.writeTextFile(
    logPath,
    `openshell: serve --detach ${args.join(" ")} at ${new Date().toISOString()}\n`,
    { append: true, mode: 0o600 },
  );
  const child = new Deno.Command("sh", {
    args: ["-c", `exec "$@" >>"$${SERVE_LOG_VARIABLE}" 2>&1`, "sh", ...launcherArgv(args)],
    env: { [SERVE_LOG_VARIABLE]: logPath },
    stdin: "null",
    stdout: "null",
    stderr: "null",
    // A session of its own: no terminal, and no signal sent to this terminal reaches it.
    detached: true,
  }).spawn();
  const dir = gatewayRuntimeDir(openshellDir("runtime", env, uid), name);
  let exit: Deno.CommandStatus | undefined;
  child.status.then((status) => (exit = status));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (exit === undefined && Date.now() < deadline) {
    const record = await readServedRecord(dir);
    if (record?.pid === child.pid) {
      const since = await readFrom(logPath, offset);
      printMessage(READY_LINE.exec(since)?.[0] ?? `Gateway "${name}" is ready at ${record.url}`);
      printMessage(`Launcher pid ${child.pid} keeps serving it in the background`);
      printMessage(`Stop it with: openshell gateway stop ${name}`);
      printMessage(`Log: ${logPath} (openshell gateway logs ${name} -f)`);
      child.unref();
      return 0;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  if (exit === undefined) {
    child.kill("SIGTERM");
    exit = await child.status;
  }
  const since = await readFrom(logPath, offset);
  if (!logExisted) await Deno.remove(logPath).catch(() => {});
  for (const path of created) await Deno.remove(path).catch(() => {});
  throw launchFailure(since, exit.code);
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

/** The command line that runs `serve` as this program does, for the launcher. */
function launcherArgv(args: string[]): string[] {
  if (Deno.build.standalone) return [Deno.execPath(), "serve", ...args];
  const src = resolve(import.meta.dirname!, "..");
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    "--config",
    join(src, "..", "deno.json"),
    join(src, "main.ts"),
    "serve",
    ...args,
  ];
}

/** Creates the log's directory; returns the directories it made, deepest first. */
async function createLogDir(dir: string, uid: number): Promise<string[]> {
  const missing: string[] = [];
  for (let path = dir; !(await pathExists(path)); path = dirname(path)) missing.push(path);
  for (const path of [...missing].reverse()) {
    // Root's parents stay traversable, as serve keeps them for the container's user.
    await Deno.mkdir(path, { mode: path === dir || uid !== 0 ? 0o700 : 0o755 });
  }
  return missing;
}

async function readFrom(path: string, offset: number): Promise<string> {
  const bytes = await Deno.readFile(path).catch(() => new Uint8Array());
  return new TextDecoder().decode(bytes.subarray(offset));
}
