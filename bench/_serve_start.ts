/**
 * `serve`'s warm start to its first healthy answer, against the floor measured in the same
 * run: the OCI runtime's bare `run` of a ready bundle starting the same gateway. The floor's
 * bundle is the one `serve` itself staged (copied while it ran, its paths moved along), run by
 * the same runtime binary, so the two differ only in what `serve` does around the runtime.
 * Only the program and the runtime are run: nothing here imports the program's code.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { type Goal, pairedDifference } from "./_report.ts";

const REPO = resolve(import.meta.dirname!, "..");
const MAIN = join(REPO, "src/main.ts");
const CONFIG = join(REPO, "deno.json");

/** A free TCP port on the loopback address. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

const namedPorts = new Map<string, number>();

/**
 * The port gateway `name` is served on in this run: free when first asked for, then the
 * same, as `serve` keeps a registered gateway's endpoint. It is taken below Linux's
 * ephemeral range, where no outgoing connection on this shared machine can take it meanwhile.
 */
export function portOf(name: string): number {
  let port = namedPorts.get(name);
  while (port === undefined) {
    const candidate = 20_000 + Math.floor(Math.random() * 12_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port: candidate }).close();
      if (![...namedPorts.values()].includes(candidate)) port = candidate;
    } catch {
      // taken: another one
    }
  }
  namedPorts.set(name, port);
  return port;
}

/**
 * The client files `serve` registers for a gateway it serves over mTLS (its default), in the
 * registry `env` points at; they exist once the first serve of `name` has answered.
 */
export function mtlsDir(env: Record<string, string>, name: string): string {
  return join(env.XDG_CONFIG_HOME!, "openshell", "gateways", name, "mtls");
}

/** The CA, client certificate and key in an {@linkcode mtlsDir}, as PEM texts. */
export async function readMtls(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const [ca, cert, key] = await Promise.all(
    ["ca.crt", "tls.crt", "tls.key"].map((file) => Deno.readTextFile(join(dir, file))),
  );
  return { ca: ca!, cert: cert!, key: key! };
}

/** An HTTPS client with the CA and client certificate in `dir`; undefined while any is missing. */
async function mtlsClient(dir: string): Promise<Deno.HttpClient | undefined> {
  try {
    const { ca, cert, key } = await readMtls(dir);
    return Deno.createHttpClient({ caCerts: [ca], cert, key });
  } catch {
    return undefined;
  }
}

/**
 * Polls until `/healthz` answers 200; the same loop for every contender. With `mtls` (a
 * {@linkcode mtlsDir}) over HTTPS with that client certificate, once its files are there.
 */
export async function untilHealthy(
  port: number,
  child: Deno.ChildProcess,
  mtls?: string,
): Promise<void> {
  let exited = false;
  child.status.then(() => (exited = true));
  const url = `${mtls === undefined ? "http" : "https"}://127.0.0.1:${port}/healthz`;
  let client: Deno.HttpClient | undefined;
  try {
    for (;;) {
      if (exited) throw new Error("the process exited before answering");
      if (mtls !== undefined) client ??= await mtlsClient(mtls);
      if (mtls === undefined || client !== undefined) {
        try {
          const response = await fetch(url, client === undefined ? {} : { client });
          await response.body?.cancel();
          if (response.ok) return;
        } catch {
          // not yet
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    client?.close();
  }
}

/** Whether `program` is on PATH. */
export async function onPath(program: string): Promise<boolean> {
  return (await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
    .output()).success;
}

/** What one wrk run got: requests per second, and how many requests in all. */
export interface WrkResult {
  rps: number;
  requests: number;
}

/** `GET /healthz` as wrk (two threads, `connections` at once) gets it for `seconds`. */
export async function wrkLoad(
  port: number,
  connections: number,
  seconds: number,
): Promise<WrkResult> {
  const output = await new Deno.Command("wrk", {
    args: ["-t2", `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/healthz`],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN),
    requests: Number(/(\d+) requests in /.exec(text)?.[1] ?? NaN),
  };
}

/** `GET /healthz` requests per second that wrk (two threads, `connections` at once) gets. */
export async function wrkRps(port: number, connections: number, seconds: number): Promise<number> {
  return (await wrkLoad(port, connections, seconds)).rps;
}

/** Why the serve start cannot be measured here, or undefined when it can. */
export async function serveStartBlocker(): Promise<string | undefined> {
  if (Deno.uid() !== 0 || !(await onPath("youki"))) {
    return "needs root and youki (the floor is a root-mode youki container)";
  }
  return undefined;
}

/**
 * Starts `openshell serve --listen 127.0.0.1:<port>` with `args`, its output discarded; with
 * `stderr`, its stderr is read from `child.stderr` (see {@linkcode serveSaysReady}); with
 * `debug log`, under Deno's debug log, which is then read there.
 */
export function spawnServe(
  env: Record<string, string>,
  args: readonly string[],
  port: number,
  output: "discarded" | "stderr" | "debug log" = "discarded",
): Deno.ChildProcess {
  const debugLog = output === "debug log";
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      debugLog ? "--log-level=debug" : "--quiet",
      `--config=${CONFIG}`,
      MAIN,
      "serve",
      "--listen",
      `127.0.0.1:${port}`,
      ...args,
    ],
    env,
    clearEnv: true,
    stdout: "null",
    stderr: output === "discarded" ? "null" : "piped",
  }).spawn();
}

/**
 * Resolves once `serve`, started with its stderr read, says the gateway is ready: as `serve`
 * knows it, before any client has reached the gateway. Its stderr is read on until it exits.
 */
export async function serveSaysReady(child: Deno.ChildProcess): Promise<void> {
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/^Gateway ".*" is ready at /m.test(text)) {
    const { value, done } = await lines.read();
    if (done) throw new Error("serve exited before the gateway was ready");
    text += value;
  }
  (async () => {
    while (!(await lines.read()).done);
  })();
}

/** Deno's debug log of one `serve` from its start until it answers healthy, then stopped. */
export async function serveDebugLog(env: Record<string, string>): Promise<string> {
  await warmUp(env, "bench-log");
  const port = portOf("bench-log");
  const child = spawnServe(env, ["--name", "bench-log"], port, "debug log");
  // Read while it runs: the log is larger than a pipe holds.
  const log = new Response(child.stderr).text();
  try {
    await untilHealthy(port, child, mtlsDir(env, "bench-log"));
  } finally {
    signal(child, "SIGTERM");
    await child.status;
  }
  return await log;
}

/**
 * Serves a new `name` until its starts are warm, untimed: the first serve makes its PKI,
 * the second checks that PKI in full and records the pass the later ones rely on.
 */
export async function warmUp(env: Record<string, string>, name: string): Promise<void> {
  for (let serve = 0; serve < 2; serve++) {
    const port = portOf(name);
    const child = spawnServe(env, ["--name", name], port);
    await untilHealthy(port, child, mtlsDir(env, name));
    await stop(child, "serve");
  }
}

/** Sends `name` to `child` unless it has already exited. */
function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // it has already exited
  }
}

/** Ends a started process with SIGTERM and fails unless it then exits 0. */
export async function stop(child: Deno.ChildProcess, what: string): Promise<void> {
  child.kill("SIGTERM");
  const status = await child.status;
  if (status.code !== 0) throw new Error(`${what} exited ${status.code} on SIGTERM`);
}

/** Every process below `pid`, read from /proc. */
export async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    if (stat) {
      parents.set(Number(entry.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    }
  }
  const result: number[] = [];
  const walk = (parent: number) => {
    for (const [child, p] of parents) if (p === parent) (result.push(child), walk(child));
  };
  walk(pid);
  return result;
}

/** The argv of a process, or [] when it is gone. */
export async function commandLine(pid: number): Promise<string[]> {
  const raw = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
  return raw.split("\0").filter((arg) => arg !== "");
}

/** The runtime `serve` started and the bundle it gave it, read from the runtime's argv. */
async function runtimeOf(servePid: number): Promise<{ runtime: string; bundle: string }> {
  for (const pid of await descendants(servePid)) {
    const argv = await commandLine(pid);
    const at = argv.indexOf("--bundle");
    if (at > 0 && argv.includes("run") && argv[at + 1] !== undefined) {
      return { runtime: argv[0]!, bundle: argv[at + 1]! };
    }
  }
  throw new Error("no OCI runtime with --bundle found below serve");
}

/** `serve`'s warm start may take at most this much longer than the bare runtime's. */
export const SERVE_START_GOAL: Goal = { limit: 40, unit: " ms" };

/** One run's timings, each to the first healthy `/healthz`, in ms, paired by round. */
export interface ServeStart {
  /** The runtime binary both used. */
  runtime: string;
  floor: number[];
  serve: number[];
}

/** The median of the rounds' differences: serve's own cost above the floor. */
export function serveOverhead(start: ServeStart): number {
  return pairedDifference(start.serve, start.floor);
}

async function timeToHealthy(
  port: number,
  spawn: () => Deno.ChildProcess,
  what: string,
  mtls: string,
) {
  const started = performance.now();
  const child = spawn();
  try {
    await untilHealthy(port, child, mtls);
  } catch (error) {
    // SIGTERM first: serve and the runtime clean up the container they started.
    signal(child, "SIGTERM");
    const timer = setTimeout(() => signal(child, "SIGKILL"), 10_000);
    await child.status;
    clearTimeout(timer);
    throw new Error(`${what}: ${error instanceof Error ? error.message : error}`);
  }
  return { elapsed: performance.now() - started, child };
}

/**
 * Measures `rounds` warm starts of `serve` and of the bare runtime, alternating which goes
 * first. `env` must point every directory at `scratch` (a 0755 directory the container's
 * user can traverse); the first, untimed `serve` fills the rootfs cache and provides the
 * floor's bundle.
 */
export async function measureServeStart(
  env: Record<string, string>,
  scratch: string,
  rounds: number,
): Promise<ServeStart> {
  const floorDir = join(scratch, "floor");
  await Deno.mkdir(floorDir, { mode: 0o755 });
  const bundle = join(floorDir, "bundle");
  const floorPort = portOf("bench-floor");
  const first = await timeToHealthy(
    floorPort,
    () => spawnServe(env, ["--name", "bench-floor"], floorPort),
    "serve",
    mtlsDir(env, "bench-floor"),
  );
  let runtime: string;
  try {
    const staged = await runtimeOf(first.child.pid);
    runtime = staged.runtime;
    const copied = await new Deno.Command("cp", { args: ["-a", staged.bundle, bundle] }).output();
    if (!copied.success) throw new Error(`cp -a ${staged.bundle}: ${copied.code}`);
    // The copy's mounts (its secrets) point at the copy, which outlives serve's own bundle.
    const configPath = join(bundle, "config.json");
    const config = await Deno.readTextFile(configPath);
    await Deno.writeTextFile(configPath, config.replaceAll(`"${staged.bundle}/`, `"${bundle}/`));
    await Deno.remove(join(bundle, "runtime.log")).catch(() => {});
  } finally {
    await stop(first.child, "serve");
  }
  const stateRoot = join(floorDir, "runtime-state");
  await Deno.mkdir(stateRoot, { mode: 0o700 });
  const floorRun = async (round: number): Promise<number> => {
    const id = `openshell-bench-floor-${round}`;
    try {
      const { elapsed, child } = await timeToHealthy(
        floorPort,
        () =>
          new Deno.Command(runtime, {
            args: ["--root", stateRoot, "run", "--bundle", bundle, id],
            stdin: "null",
            stdout: "null",
            stderr: "null",
          }).spawn(),
        `${runtime} run`,
        mtlsDir(env, "bench-floor"),
      );
      child.kill("SIGTERM");
      await child.status;
      return elapsed;
    } finally {
      // Whatever the runtime left (the container, its cgroup) goes before the next round.
      await new Deno.Command(runtime, {
        args: ["--root", stateRoot, "delete", "--force", id],
        stdout: "null",
        stderr: "null",
      }).output();
    }
  };
  const serveRun = async (): Promise<number> => {
    const port = portOf("bench-warm");
    const { elapsed, child } = await timeToHealthy(
      port,
      () => spawnServe(env, ["--name", "bench-warm"], port),
      "serve",
      mtlsDir(env, "bench-warm"),
    );
    await stop(child, "serve");
    return elapsed;
  };
  await warmUp(env, "bench-warm");
  const result: ServeStart = { runtime, floor: [], serve: [] };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      result.floor.push(await floorRun(round));
      result.serve.push(await serveRun());
    } else {
      result.serve.push(await serveRun());
      result.floor.push(await floorRun(round));
    }
  }
  return result;
}
