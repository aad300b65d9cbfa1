/**
 * `serve --detach`: starts the launcher in its own session with its output going to the
 * gateway's log, waits until the gateway answers or the launch fails, and returns while the
 * launcher goes on supervising. What the launcher wrote is handed back, not printed.
 *
 * @module
 */
import { dirname, join } from "../path/mod.ts";
import { pathExists } from "../files/mod.ts";
import { validateGatewayName } from "../registry/mod.ts";
import { gatewayLogPath, readLogFrom, SERVE_LOG_VARIABLE } from "./gateway_log_file.ts";
import { gatewayRuntimeDir } from "../runtime/mod.ts";
import { readServedRecord } from "./served_record.ts";
import { effectiveUid, gatewayHomes, onStopSignal, processEnv, sourceDir } from "../host/mod.ts";

/** How long a detached launch may take to answer (the launcher's own limit is shorter). */
const READY_TIMEOUT_MS = 120_000;

/** What `serve --detach` serves: gateway `name`, with serve's own arguments but `--detach`. */
export interface DetachedServeOptions {
  name: string;
  args: readonly string[];
}

/**
 * How a detached launch went, with what its launcher wrote to the log since it started:
 * `ready` once the gateway answers (the launcher, pid `pid`, goes on serving it), `failed`
 * when the launcher ended (or was ended) first with status `code`, its log removed if new.
 */
export type DetachedServeOutcome =
  | {
    outcome: "ready";
    name: string;
    url: string;
    pid: number;
    containerId: string;
    logPath: string;
    log: string;
  }
  | { outcome: "failed"; name: string; code: number; log: string };

/**
 * Serves a gateway in the background: returns once it answers or its launch has failed.
 *
 * @throws {UserError} for an invalid name, or a log that cannot be written.
 * @example
 * ```ts
 * const launch = await serveDetached({ name: "dev", args: ["--name", "dev"] });
 * if (launch.outcome === "ready") console.log(`${launch.url}, log in ${launch.logPath}`);
 * ```
 */
export async function serveDetached(options: DetachedServeOptions): Promise<DetachedServeOutcome> {
  const { name, args } = options;
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
  const dir = gatewayRuntimeDir(gatewayHomes(uid)[0]!, name);
  let exit: Deno.CommandStatus | undefined;
  child.status.then((status) => (exit = status));
  // Ctrl-C or a stop while waiting gives up the launch: the launcher is stopped, as on a timeout.
  let stopped = false;
  const unlisten = onStopSignal(() => (stopped = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (exit === undefined && !stopped && Date.now() < deadline) {
      const record = await readServedRecord(dir);
      if (record?.pid === child.pid) {
        const log = await readLogFrom(logPath, uid, offset);
        child.unref();
        const { url, containerId } = record;
        return { outcome: "ready", name, url, pid: child.pid, containerId, logPath, log };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    unlisten();
  }
  if (exit === undefined) {
    child.kill("SIGTERM");
    exit = await child.status;
  }
  const log = await readLogFrom(logPath, uid, offset);
  if (!logExisted) await Deno.remove(logPath).catch(() => {});
  for (const path of created) await Deno.remove(path).catch(() => {});
  return { outcome: "failed", name, code: exit.code, log };
}

/** The command line that runs `serve` as this program does, for the launcher. */
function launcherArgv(args: readonly string[]): string[] {
  if (Deno.build.standalone) return [Deno.execPath(), "serve", ...args];
  const src = sourceDir()!;
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
