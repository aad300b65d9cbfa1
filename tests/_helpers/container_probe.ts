/**
 * Runs the syscall probe (`syscall_probe.ts`) in a gateway container that `serve` started:
 * through the runtime's `exec` (which joins the container's namespaces and cgroup, and with
 * runc its seccomp filter), or as a container of its own made from the very config the launch
 * staged (the same profile and limits as the gateway, as the runtime applies them).
 */
import { dirname, join } from "node:path";
import type { OciConfig } from "../../src/container/oci_config.ts";
import type { Sandbox } from "./sandbox.ts";
import { REPO } from "./sandbox.ts";
import { serveRuntimeDir } from "./serve_fixture.ts";
import { asUser } from "./test_users.ts";

const PROBE = await Deno.readTextFile(join(REPO, "tests/_helpers/syscall_probe.ts"));
/** The container's deno (the program mount point under `deno run`). */
const DENO_IN_CONTAINER = "/usr/local/bin/openshell";

/** How to reach the runtime that runs a gateway. */
export interface ProbeTarget {
  sandbox: Sandbox;
  runtime: "youki" | "runc";
  containerId: string;
  /** Run as this user (rootless launches). */
  user?: string;
  /** Enter this process's mount namespace first (a launch with a private cgroup view). */
  mountNamespaceOf?: number;
}

/** One probe result line. */
export interface SyscallResult {
  name: string;
  result: number;
  error: string | null;
}

function probeArgv(mode: string[]): string[] {
  return [DENO_IN_CONTAINER, "eval", "--ext=ts", PROBE, ...mode];
}

function wrap(target: ProbeTarget, argv: string[]): string[] {
  let result = target.user ? asUser(target.user, argv) : argv;
  if (target.mountNamespaceOf !== undefined) {
    result = ["nsenter", "-t", String(target.mountNamespaceOf), "-m", "--", ...result];
  }
  return result;
}

function stateRoot(target: ProbeTarget): string {
  return join(serveRuntimeDir(target.sandbox), "oci", target.runtime);
}

function spawn(target: ProbeTarget, argv: string[]): Deno.ChildProcess {
  const full = wrap(target, argv);
  return new Deno.Command(full[0]!, {
    args: full.slice(1),
    env: target.sandbox.env,
    clearEnv: true,
    // Not the checkout's: another user may not be able to enter it.
    cwd: target.sandbox.root,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Starts `argv` in the running container through `<runtime> exec`. */
function execIn(target: ProbeTarget, argv: string[]): Deno.ChildProcess {
  return spawn(target, [
    target.runtime,
    "--root",
    stateRoot(target),
    "exec",
    "--env",
    "DENO_DIR=/tmp/deno",
    target.containerId,
    ...argv,
  ]);
}

/** Starts the probe in the running container through `<runtime> exec`. */
export function execProbe(target: ProbeTarget, mode: string[]): Deno.ChildProcess {
  return execIn(target, probeArgv(mode));
}

/**
 * Runs `code` (TypeScript, as `deno eval`) as the container's root inside the running
 * container through `<runtime> exec`; resolves to its output.
 */
export async function evalInContainer(
  target: ProbeTarget,
  code: string,
): Promise<{ success: boolean; stdout: string; stderr: string }> {
  const output = await execIn(target, [DENO_IN_CONTAINER, "eval", "--ext=ts", code]).output();
  const decoder = new TextDecoder();
  return {
    success: output.success,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/**
 * Starts the probe in the running container by entering it from the host as root: joins the
 * gateway's cgroups, then all its namespaces and its root (nsenter). Used where the runtime's
 * own `exec` cannot (rootless youki 0.7.0 fails to join the pid namespace).
 */
export async function enterProbe(
  gatewayPid: number,
  mode: string[],
): Promise<Deno.ChildProcess> {
  const procs: string[] = [];
  for (const line of (await Deno.readTextFile(`/proc/${gatewayPid}/cgroup`)).trim().split("\n")) {
    const [, controllers, path] = line.split(":");
    if (controllers === "" || controllers!.startsWith("name=")) continue;
    procs.push(`'${join("/sys/fs/cgroup", controllers!, path!, "cgroup.procs")}'`);
  }
  const script = `for f in ${procs.join(" ")}; do echo $$ > "$f"; done
exec nsenter -t ${gatewayPid} -a -r -w -S 0 -G 0 -- "$@"`;
  return new Deno.Command("sh", {
    args: ["-c", script, "sh", ...probeArgv(mode)],
    env: { PATH: "/usr/bin:/bin", HOME: "/tmp", DENO_DIR: "/tmp/deno" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Runs the probe as a container of its own from the config the launch staged for
 * `containerId` (same rootfs, profile and limits; a sibling cgroup); returns its output.
 */
export async function runProbeContainer(target: ProbeTarget, mode: string[]): Promise<string> {
  const output = await runSibling(target, "probe", (config) => {
    config.process.args = probeArgv(mode);
  }).output();
  if (!output.success) {
    throw new Error(`probe container failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return new TextDecoder().decode(output.stdout);
}

/**
 * Starts a container of its own (ID `<containerId>-<suffix>`, a sibling cgroup) from the
 * config the launch staged for `containerId`, changed by `change`. `output()` waits for it
 * to exit, then deletes whatever of it is left (state, cgroup) and its temp bundle.
 */
export function runSibling(
  target: ProbeTarget,
  suffix: string,
  change: (config: OciConfig) => void,
): { child: Promise<Deno.ChildProcess>; output(): Promise<Deno.CommandOutput> } {
  const bundles = join(serveRuntimeDir(target.sandbox), "bundles");
  const id = `${target.containerId}-${suffix}`;
  let dir = "";
  const started = (async () => {
    const config: OciConfig = JSON.parse(
      await Deno.readTextFile(join(bundles, target.containerId, "config.json")),
    );
    change(config);
    if (config.linux.cgroupsPath) {
      config.linux.cgroupsPath = join(dirname(config.linux.cgroupsPath), id);
    }
    dir = await Deno.makeTempDir({ dir: target.sandbox.root, prefix: `${suffix}-` });
    await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
    if (target.user) {
      const owner = (await Deno.stat(join(bundles, target.containerId))).uid!;
      await Deno.chown(dir, owner, null);
      await Deno.chown(join(dir, "config.json"), owner, null);
    }
    const runtime = [target.runtime, "--root", stateRoot(target)];
    return spawn(target, [...runtime, "run", "--bundle", dir, id]);
  })();
  const output = async () => {
    try {
      return await (await started).output();
    } finally {
      const runtime = [target.runtime, "--root", stateRoot(target)];
      await spawn(target, [...runtime, "delete", "--force", id]).output();
      if (dir !== "") await Deno.remove(dir, { recursive: true });
    }
  };
  return { child: started, output };
}

/** The result lines of a `denied` probe. */
export function parseResults(stdout: string): SyscallResult[] {
  return stdout.trim().split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
}

/** The limits the gateway's cgroup carries, read from the cgroup files themselves. */
export async function cgroupLimits(
  pid: number,
): Promise<{ memory: string; pids: string; cpu: string }> {
  const table = await Deno.readTextFile(`/proc/${pid}/cgroup`);
  const lines = table.trim().split("\n").map((l) => l.split(":"));
  const v2 = lines.find((l) => l[0] === "0")?.[2];
  const v1 = (controller: string) => lines.find((l) => l[1]!.split(",").includes(controller))?.[2];
  if (v1("memory") === undefined) {
    const dir = join("/sys/fs/cgroup", v2!);
    const read = (file: string) => Deno.readTextFile(join(dir, file)).then((t) => t.trim());
    return {
      memory: await read("memory.max"),
      pids: await read("pids.max"),
      cpu: await read("cpu.max"),
    };
  }
  const read = (controller: string, file: string) =>
    Deno.readTextFile(join("/sys/fs/cgroup", controller, v1(controller)!, file)).then((t) =>
      t.trim()
    );
  return {
    memory: await read("memory", "memory.limit_in_bytes"),
    pids: await read("pids", "pids.max"),
    cpu: `${await read("cpu", "cpu.cfs_quota_us")} ${await read("cpu", "cpu.cfs_period_us")}`,
  };
}

/** The `Seccomp:` mode of a process (0 none, 2 filter). */
export async function seccompMode(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^Seccomp:\s+(\d+)/m.exec(status)![1]);
}
