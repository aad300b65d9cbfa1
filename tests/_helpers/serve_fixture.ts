/**
 * Runs the real `openshell serve` as a subprocess (as root, or as the ordinary test user)
 * and inspects what it leaves on the host: processes under /proc, the runtime dir, cgroups.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliArgv, createSandbox, type Sandbox } from "./sandbox.ts";
import { sharedCliArgv } from "./shared_checkout.ts";
import { asUser } from "./test_users.ts";
import { gatewayHomes } from "../../src/host/mod.ts";
import { pathExists } from "../../src/files/mod.ts";
import { gatewayMtlsDir, mtlsFilePaths } from "../../src/registry/mod.ts";
import { sandboxRoots } from "../registry_fixture.ts";

/**
 * Whether the root-mode serve tests of a file must be skipped (not root, or no youki); says
 * why on stderr, naming `what`.
 */
export async function rootServeTestsIgnored(what: string): Promise<boolean> {
  const youki = await Deno.stat("/usr/local/bin/youki").then(() => true, () => false) ||
    (await new Deno.Command("sh", { args: ["-c", "command -v youki"], stdout: "null" }).output())
      .success;
  const isRoot = Deno.uid() === 0;
  if (isRoot && youki) return false;
  console.error(
    `${what} skipped: ${!isRoot ? "they run youki as root" : "youki is not installed"}`,
  );
  return true;
}

/** A sandbox whose dirs are traversable by the container (root mode) or owned by `owner`. */
export async function createServeSandbox(
  owner?: { uid: number; gid: number },
): Promise<Sandbox> {
  const sandbox = await createSandbox({ mode: 0o755 });
  if (owner) {
    for (
      const dir of [sandbox.home, sandbox.config, sandbox.cache, sandbox.state, sandbox.runtime]
    ) {
      await Deno.chown(dir, owner.uid, owner.gid);
      await Deno.chmod(dir, 0o700);
    }
  }
  return sandbox;
}

/**
 * A gateway name no earlier run has used: `prefix` and six random hex digits, so leftovers
 * of one test can never be mistaken for another's.
 */
export function uniqueGatewayName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 6)}`;
}

/** Options for {@linkcode startServe}. */
export interface StartServeOptions {
  /** Run as this user (through setpriv) instead of root. */
  user?: string;
  /** A shell prelude run as root before switching user, e.g. joining a cgroup. */
  prelude?: string;
  /** Run in a private mount namespace (unshare -m); with `prelude` this can remount cgroups. */
  privateMounts?: boolean;
  env?: Record<string, string>;
  /** Variables of the sandbox's environment to leave unset. */
  unset?: string[];
  /** The command line that runs openshell (default: this checkout under `deno run`). */
  program?: string[];
  /**
   * How the gateway authenticates clients. Tests that are not about it serve plaintext with
   * the API token (`--auth token`), so that they can check the gateway with plain HTTP;
   * `default` passes no `--auth` (mTLS).
   */
  auth?: "token" | "default";
}

/** A running `openshell serve`. */
export interface ServeProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Waits until stderr matches `pattern`; rejects if serve exits first or after `ms`. */
  waitForStderr(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  /** Waits for the ready line; returns the container ID. */
  ready(ms?: number): Promise<string>;
  /** Sends `signal` and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<ServeOutcome>;
  finished(): Promise<ServeOutcome>;
}

/** How a serve process ended. */
export interface ServeOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Starts `openshell serve ...args` in `sandbox`. */
export function startServe(
  sandbox: Sandbox,
  args: string[],
  options: StartServeOptions = {},
): ServeProcess {
  const auth = options.auth === "default" || args.includes("--auth") ? [] : ["--auth", "token"];
  const deno = options.program
    ? [...options.program, "serve", ...auth, ...args]
    : (options.user ? sharedCliArgv : cliArgv)(["serve", ...auth, ...args]);
  let argv = options.user ? asUser(options.user, deno) : deno;
  if (options.prelude !== undefined) {
    argv = ["sh", "-c", `${options.prelude}\nexec "$@"`, "sh", ...argv];
  }
  if (options.privateMounts) argv = ["unshare", "-m", "--propagation", "private", ...argv];
  const child = new Deno.Command(argv[0]!, {
    args: argv.slice(1),
    env: Object.fromEntries(
      Object.entries({ ...sandbox.env, ...options.env }).filter(([key]) =>
        !options.unset?.includes(key)
      ),
    ),
    clearEnv: true,
    cwd: sandbox.root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  let exited = false;
  const readers: ReadableStreamDefaultReader<string>[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    readers.push(reader);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        add(value);
        for (const listener of listeners) listener();
      }
    } catch {
      // Cancelled: an orphaned container still holds the pipe.
    }
  };
  const pumped = Promise.all([
    pump(child.stdout, (s) => (out += s)),
    pump(child.stderr, (s) => (err += s)),
  ]);
  const outcome = (async () => {
    const status = await child.status;
    // After a SIGKILL the orphaned runtime keeps the pipes open: do not wait for their end.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise((resolve) => (timer = setTimeout(resolve, 1000)));
    await Promise.race([pumped, late]);
    clearTimeout(timer);
    for (const reader of readers) await reader.cancel().catch(() => {});
    exited = true;
    for (const listener of listeners) listener();
    return { code: status.code, stdout: out, stderr: err };
  })();
  const descendantsSeen = new Set<number>();
  const remember = async () => {
    for (const pid of await descendants(child.pid)) descendantsSeen.add(pid);
  };
  const waitForStderr = (pattern: RegExp, ms = 60_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`Timed out waiting for ${pattern}; stderr:\n${err}`));
      }, ms);
      const check = () => {
        const match = err.match(pattern);
        if (match) {
          clearTimeout(timer);
          listeners.delete(check);
          remember().finally(() => resolve(match));
        } else if (exited) {
          clearTimeout(timer);
          listeners.delete(check);
          reject(new Error(`serve exited before ${pattern}; stderr:\n${err}`));
        }
      };
      listeners.add(check);
      check();
    });
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    try {
      child.kill(signal);
    } catch { /* already exited */ }
    return await outcome;
  };
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForStderr,
    ready: async (ms) => (await waitForStderr(/is ready at \S+ \(container (\S+)\)/, ms))[1]!,
    stop,
    finished: () => outcome,
    async [Symbol.asyncDispose]() {
      if (!exited) {
        await remember();
        try {
          child.kill("SIGTERM");
        } catch { /* gone */ }
        const timer = setTimeout(() => {
          for (const pid of [child.pid, ...descendantsSeen]) killPid(pid);
        }, 15_000);
        await outcome;
        clearTimeout(timer);
      }
      // Whatever a killed launcher left running is ended by pid, never by name.
      for (const pid of descendantsSeen) killPid(pid);
      const name = args[args.indexOf("--name") + 1];
      if (descendantsSeen.size > 0 && args.includes("--name") && name) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        for (const dir of await containerCgroups(name)) await Deno.remove(dir).catch(() => {});
      }
    },
  };
}

function killPid(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch { /* gone */ }
}

/** Parent pid of every process, from /proc/<pid>/stat. */
async function parentMap(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parents.set(Number(entry.name), Number(fields[1]));
    } catch { /* exited meanwhile */ }
  }
  return parents;
}

/** Every live descendant of `pid`. */
export async function descendants(pid: number): Promise<number[]> {
  const parents = await parentMap();
  const result: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        result.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return result;
}

/** The argv of a process. */
export async function processArgv(pid: number): Promise<string[]> {
  const raw = await Deno.readTextFile(`/proc/${pid}/cmdline`);
  return raw.split("\0").filter((a) => a !== "");
}

/** The environment of a process. */
export async function processEnviron(pid: number): Promise<Record<string, string>> {
  const raw = await Deno.readTextFile(`/proc/${pid}/environ`);
  const env: Record<string, string> = {};
  for (const entry of raw.split("\0").filter((e) => e !== "")) {
    const eq = entry.indexOf("=");
    env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** The pid of the gateway process (the container's init) below a serve process. */
export async function gatewayPid(servePid: number): Promise<number> {
  for (const pid of await descendants(servePid)) {
    const argv = await processArgv(pid).catch(() => []);
    if (argv.some((a) => a.endsWith("/server/main.ts") || a === "__gateway")) return pid;
  }
  throw new Error(`No gateway process below pid ${servePid}`);
}

/** The `Uid:` line's real uid of a process. */
export async function processUid(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

/**
 * openshell's runtime dir for serve runs in `sandbox`: root's is always `/run/openshell`
 * (shared by every root launch, so only this gateway's entries count), an ordinary
 * user's is in the sandbox.
 */
export function serveRuntimeDir(sandbox: Sandbox): string {
  const rootMode = Deno.statSync(sandbox.runtime).uid === 0;
  return rootMode ? "/run/openshell" : join(sandbox.runtime, "openshell");
}

/**
 * Where serve runs in `sandbox` keep their running gateways (lock, launch and served
 * records): the gateway home of the sandbox's owner, whatever XDG_RUNTIME_DIR says.
 */
export function serveGatewayHome(sandbox: Sandbox): string {
  return gatewayHomes(Deno.statSync(sandbox.runtime).uid!)[0]!;
}

/** The served record of gateway `name` run in `sandbox`. */
export function servedRecordPath(sandbox: Sandbox, name: string): string {
  return join(serveGatewayHome(sandbox), "gateways", name, "served.json");
}

/**
 * What a launch may leave behind in its runtime dir, its gateway home (the name's dir
 * included) and the cgroup trees.
 */
export async function leftovers(sandbox: Sandbox, name: string): Promise<string[]> {
  const found: string[] = [];
  const runtime = serveRuntimeDir(sandbox);
  for (const dir of ["bundles", "oci/youki", "oci/runc", "oci/crun"]) {
    for (const entry of await list(join(runtime, dir))) {
      if (entry.startsWith(`openshell-${name}-`)) found.push(`${dir}/${entry}`);
    }
  }
  const nameDir = join(serveGatewayHome(sandbox), "gateways", name);
  for (const entry of await list(nameDir)) found.push(`gateways/${name}/${entry}`);
  // Emptied, the name's dir goes too: left, they pile up and slow every `gateway list`.
  if (await pathExists(nameDir)) found.push(`gateways/${name}/`);
  found.push(...(await containerCgroups(name)));
  return found;
}

/** Cgroup directories named after containers of gateway `name`, in every hierarchy. */
export async function containerCgroups(name: string): Promise<string[]> {
  const prefix = `openshell-${name}-`;
  const found: string[] = [];
  const walk = async (dir: string, depth: number) => {
    for (const entry of await list(dir, true)) {
      const path = join(dir, entry);
      if (entry.startsWith(prefix)) found.push(path);
      if (depth > 0) await walk(path, depth - 1);
    }
  };
  await walk("/sys/fs/cgroup", 5);
  return found;
}

async function list(dir: string, dirsOnly = false): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (!dirsOnly || entry.isDirectory) names.push(entry.name);
    }
    return names;
  } catch {
    return [];
  }
}

/** GETs `url` and returns status and parsed body. */
export async function getJson(
  url: string,
  token?: string,
  client?: Deno.HttpClient,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(client ? { client } : {}),
  });
  return { status: response.status, body: await response.json() };
}

/** The client material `serve` registered for gateway `name` in `sandbox`, as PEM texts. */
export async function servedMtls(
  sandbox: Sandbox,
  name: string,
): Promise<{ ca: string; cert: string; key: string }> {
  const files = mtlsFilePaths(gatewayMtlsDir(sandboxRoots(sandbox), name));
  const [ca, cert, key] = await Promise.all(
    [files.ca, files.cert, files.key].map((path) => Deno.readTextFile(path)),
  );
  return { ca: ca!, cert: cert!, key: key! };
}

/** An HTTP client that trusts the served gateway's CA, with its client certificate unless `anonymous`. */
export async function mtlsClient(
  sandbox: Sandbox,
  name: string,
  anonymous = false,
): Promise<Deno.HttpClient> {
  const { ca, cert, key } = await servedMtls(sandbox, name);
  return Deno.createHttpClient({ caCerts: [ca], ...(anonymous ? {} : { cert, key }) });
}

/** Asserts the serve run left nothing in the runtime dir or cgroups. */
export async function assertNothingLeft(sandbox: Sandbox, name: string): Promise<void> {
  assert.deepEqual(await leftovers(sandbox, name), []);
}
