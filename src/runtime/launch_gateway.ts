/**
 * One launch of the gateway container under an OCI runtime, from lock to cleanup: take the
 * per-name lock, clean what a killed launcher left, stage the bundle, run the runtime in the
 * foreground, wait for the gateway to say it listens (its ready line on the stderr the runtime
 * hands it, carrying the launch proof), forward a stop request, and in every outcome delete
 * the container state, the bundle (secrets included) and the cgroups the launch made.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { buildOciConfig, type ContainerResources } from "../container/mod.ts";
import { ROOT_MODE_HOST_ID } from "../contract/mod.ts";
import { launchProof, newChallenge, readyLine, TLS_SECRET_FILES } from "../contract/mod.ts";
import type { SeccompProfile } from "../container/mod.ts";
import {
  bundlePaths,
  EMITTED_DIR,
  ensureDenoDirTemplate,
  removeBundle,
  stageBundle,
} from "../container/mod.ts";
import { traceMark } from "../host/mod.ts";
import { pathExists } from "../files/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { EnvLookup } from "../host/mod.ts";
import { readCallerHardLimits } from "./_caller_limits.ts";
import { callerGroups, v1ControllerMounts } from "./cgroup_facts.ts";
import { cgroupDirsFor, killCgroupMembers, missingDirs, removeCgroupDirs } from "./_cgroup_dirs.ts";
import { detectCgroupLayout } from "./_cgroup_path.ts";
import { newContainerId } from "./_container_id.ts";
import { lockNameDir } from "./_instance_lock.ts";
import {
  type LaunchRecord,
  readLaunchRecord,
  removeLaunchRecord,
  writeLaunchRecord,
} from "./launch_record.ts";
import type { GatewayPki } from "../pki/mod.ts";
import { type OciRuntime, runtimeEnv } from "./oci_runtime.ts";
import { preflightMounts } from "./mount_preflight.ts";
import { ensureOwnedDir, removeStaleTemps } from "../files/mod.ts";
import { removeTree } from "../files/mod.ts";
import {
  limitsWriter,
  planLimits,
  skippedLimitsWarning,
  writeV1Limits,
} from "./resource_limits.ts";

/** What the checks before a launch vouch for, and the launch needs only to stage its bundle. */
export interface CheckedLaunch {
  /** The read-only rootfs (used as is). */
  rootfs: string;
  /** The gateway's host state dir (must exist and be writable by the container's root). */
  stateDir: string;
  /** The API token, staged as a secret file. */
  token: string;
  /**
   * The PEM texts of a gateway served with mTLS: the server's certificate and key and the CA
   * (staged as secret files).
   */
  tls?: GatewayPki | undefined;
  /** The program bound into the container and the source dir under `deno run`. */
  binary: string;
  sourceDir?: string;
}

/** Everything one launch needs. */
export interface LaunchGatewayOptions {
  name: string;
  listen: { hostname: string; port: number };
  version: string;
  /**
   * What the checks vouch for. A promise lets them run while the launch prepares (its dirs,
   * lock, leftovers and cgroup plan): it is awaited before the bundle is staged, and a
   * rejection ends the launch with that error (one that comes after the launch failed
   * otherwise is left to the caller).
   */
  checked: Promise<CheckedLaunch>;
  runtime: OciRuntime;
  /** openshell's runtime dir (`$XDG_RUNTIME_DIR/openshell` or `/run/openshell`). */
  runtimeDir: string;
  /** Where the caller's running gateways are kept (`gatewayHomes` in `host/mod.ts`). */
  gatewayHome: string;
  /** The caller's uid and gid. */
  uid: number;
  gid: number;
  env: EnvLookup;
  /** The seccomp profile; `undefined` runs the gateway unconfined. */
  seccomp: SeccompProfile | undefined;
  /** The cgroup limits wanted; those the cgroup manager cannot apply are reported and skipped. */
  limits: ContainerResources;
  /** Told once when some limits cannot be applied. */
  onWarning?: (message: string) => void;
  /** Aborting it stops the gateway (SIGTERM, then SIGKILL after `stopTimeoutMs`). */
  stop: AbortSignal;
  /** Aborting it too kills at once, without waiting out the rest of the grace period. */
  hurry?: AbortSignal;
  onProgress?: (message: string) => void;
  onReady?: (ready: { url: string; containerId: string }) => void | Promise<void>;
  /**
   * Called once the container is cleaned up, while the name's lock is still held: what the
   * launch left for other commands goes before another launch of the name can write its own.
   */
  onEnd?: () => Promise<void>;
  /** Where the gateway's output goes, read from a pipe; the launcher's stdout when absent. */
  output?: (chunk: Uint8Array) => void;
  /** Forward the runtime's stderr verbatim (it is always kept to explain failures). */
  forwardRuntimeStderr?: boolean;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/** How a launch ended: after the gateway had answered, or stopped on request before. */
export interface LaunchResult {
  /**
   * `stopped`: on request, cleanly; `killed`: on request, forcibly; `exited`: on its own;
   * `cancelled`: on request before the gateway answered (it had served nothing).
   */
  outcome: "stopped" | "killed" | "exited" | "cancelled";
  /** The runtime's exit status (the gateway's, when it ran). */
  code: number;
  containerId: string;
}

/** Where the per-name lock, launch record and served record live, in a gateway home. */
export function gatewayRuntimeDir(home: string, name: string): string {
  return join(home, "gateways", name);
}

/** The runtime's `--root` state directory for this caller. */
function runtimeStateRoot(runtimeDir: string, runtime: OciRuntime): string {
  return join(runtimeDir, "oci", runtime.name);
}

/**
 * Runs the gateway container until it stops; cleans up in every outcome.
 *
 * @throws {UserError} when another launch of this name runs, or when the container fails
 *   before the gateway answers (with the cause and remedies when known).
 */
export async function launchGateway(options: LaunchGatewayOptions): Promise<LaunchResult> {
  const progress = options.onProgress ?? (() => {});
  options.checked.catch(() => {}); // awaited before the bundle is staged
  // Deno loads its process support on first use (6-15 ms): here, while a check may still wait
  // on the thread pool, rather than on the way from the staged bundle to the runtime.
  void Deno.Command;
  const rootMode = options.uid === 0;
  const nameDir = gatewayRuntimeDir(options.gatewayHome, options.name);
  const stateRoot = runtimeStateRoot(options.runtimeDir, options.runtime);
  const bundles = join(options.runtimeDir, "bundles");
  // Each after the one it sits in (synchronous calls: nothing to gain from overlapping them).
  await ensureOwnedDir(options.runtimeDir, options.uid, rootMode ? 0o711 : 0o700);
  if (options.gatewayHome !== options.runtimeDir) {
    // Not a place XDG_RUNTIME_DIR moves: only its owner (or root) can clear it.
    await ensureOwnedDir(
      options.gatewayHome,
      options.uid,
      0o700,
      `Have root remove "${options.gatewayHome}" (it is not yours)`,
    );
  }
  await ensureOwnedDir(join(options.gatewayHome, "gateways"), options.uid, 0o700);
  // In root mode the container's root (65532) must traverse into its bundle's secrets dir.
  await ensureOwnedDir(bundles, options.uid, rootMode ? 0o711 : 0o700);
  await ensureOwnedDir(join(options.runtimeDir, "oci"), options.uid, 0o700);
  await ensureOwnedDir(stateRoot, options.uid, 0o700);
  await using lock = await lockNameDir(nameDir, options.uid);
  if (!lock) {
    const record = readLaunchRecord(nameDir);
    throw new UserError(`Gateway "${options.name}" is already being served`, {
      hint: `${
        record ? `Its launcher is pid ${record.pid}; stop` : "Stop"
      } it first, or pick another --name`,
    });
  }
  traceMark("launch: locked");
  // The name's dir is the lock holder's alone: what a killed launcher was writing goes.
  await removeStaleTemps(nameDir, Infinity);
  const stale = readLaunchRecord(nameDir);
  if (stale) {
    progress(`Cleaning up container "${stale.containerId}" left by an earlier launch`);
    await cleanUp(stale, options.env);
    await removeLaunchRecord(nameDir);
  }

  // Only now: a container left by a killed launcher may have held the port until cleanup.
  checkAddressFree(options.listen);
  traceMark("launch: address free");
  const containerId = newContainerId(options.name);
  const { layout, cgroupsPath, decision: limits } = await planLimits(options.limits, {
    runtime: options.runtime.name,
    uid: options.uid,
    leaf: containerId,
  });
  const warning = skippedLimitsWarning(limits);
  if (warning !== undefined) options.onWarning?.(warning);
  const mounts = layout === "unified" ? [] : v1ControllerMounts().map((m) => m.target);
  const paths = bundlePaths(bundles, containerId);
  const record: LaunchRecord = {
    containerId,
    bundle: paths.dir,
    runtimePath: options.runtime.path,
    stateRoot,
    cgroupDirs: cgroupsPath === undefined
      ? []
      : missingDirs(cgroupDirsFor(cgroupsPath, layout, mounts)),
    pid: Deno.pid,
  };
  const hostId = rootMode
    ? { uid: ROOT_MODE_HOST_ID, gid: ROOT_MODE_HOST_ID }
    : { uid: options.uid, gid: options.gid };
  const writer = limitsWriter(!rootMode, layout);
  const listen = formatAddress(options.listen);
  const challenge = newChallenge();
  const checked = await options.checked;
  traceMark("launch: checks passed");
  // Worked out beside the Deno cache, the staging and the container's start: needed once the
  // gateway listens.
  const ready = launchProof(checked.token, challenge).then(readyLine);
  ready.catch(() => {}); // awaited by the stderr reader
  // Made once (and again when the sources change): later starts bind it and copy a little.
  // Held until the runtime has bound it (released at the latest when the launch ends).
  using denoDir = checked.sourceDir === undefined ? undefined : await ensureDenoDirTemplate({
    runtimeDir: options.runtimeDir,
    rootfs: checked.rootfs,
    binary: checked.binary,
    sourceDir: checked.sourceDir,
    uid: options.uid,
    stop: options.stop,
  });
  traceMark("launch: deno cache ready");
  const config = buildOciConfig({
    name: options.name,
    listen,
    version: options.version,
    hostUid: hostId.uid,
    hostGid: hostId.gid,
    rootfs: checked.rootfs,
    stateDir: checked.stateDir,
    secretsDir: paths.secrets,
    tls: checked.tls !== undefined,
    binary: checked.binary,
    ...(checked.sourceDir === undefined ? {} : { sourceDir: checked.sourceDir }),
    ...(denoDir === undefined ? {} : {
      denoDir: { writable: paths.denoDir, emitted: join(denoDir.path, EMITTED_DIR) },
    }),
    cgroupsPath,
    hardLimits: readCallerHardLimits(),
    seccomp: options.seccomp,
    resources: writer === "runtime" ? limits.applied : {},
    readyChallenge: challenge,
  });
  traceMark("launch: config built");
  writeLaunchRecord(nameDir, record);
  traceMark("launch: record written");
  try {
    if (writer === "launcher" && cgroupsPath !== undefined) {
      // Without a delegated subtree this writes nothing; the runtime then fails on the cgroup
      // itself, and that failure is explained.
      await writeV1Limits(cgroupsPath, limits.applied);
    }
    await stageBundle({
      paths,
      config,
      secrets: {
        token: checked.token + "\n",
        ...(checked.tls
          ? {
            [TLS_SECRET_FILES.cert]: checked.tls.serverCert,
            [TLS_SECRET_FILES.key]: checked.tls.serverKey,
            [TLS_SECRET_FILES.clientCa]: checked.tls.ca,
          }
          : {}),
      },
      denoDirTemplate: denoDir?.path,
      ...(rootMode ? { containerOwner: hostId } : {}),
    });
    traceMark("launch: bundle staged");
    await preflightMounts(config, rootMode ? hostId : { ...hostId, groups: callerGroups() });
    traceMark("launch: mounts reachable");
    if (options.stop.aborted) return { outcome: "cancelled", code: 0, containerId };
    progress(`Starting container "${containerId}" with ${options.runtime.name}`);
    return await runContainer(options, checked, record, listen, ready, () => denoDir?.release());
  } finally {
    await cleanUp(record, options.env);
    await removeLaunchRecord(nameDir);
    await options.onEnd?.();
  }
}

async function runContainer(
  options: LaunchGatewayOptions,
  checked: CheckedLaunch,
  record: LaunchRecord,
  listen: string,
  readyLine: Promise<string>,
  mounted: () => void,
): Promise<LaunchResult> {
  const { containerId } = record;
  // Its own process group (a new session): a stop can reach the runtime's helper processes
  // too, which outlive a runtime killed while it creates the container.
  const child = new Deno.Command(options.runtime.path, {
    args: [
      "--root",
      record.stateRoot,
      ...["--log", runtimeLog(record), "--log-format", "json"],
      "run",
      "--bundle",
      record.bundle,
      containerId,
    ],
    env: runtimeEnv(options.env),
    clearEnv: true,
    stdin: "null",
    stdout: options.output === undefined ? "inherit" : "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  traceMark("launch: runtime spawned");
  const stderr = collectStderr(child.stderr, options.forwardRuntimeStderr ?? false, readyLine);
  const output = options.output === undefined ? undefined : pump(child.stdout, options.output);
  const status = child.status;
  // Once the runtime has exited, whatever is left of its process group is killed and its
  // stderr is read for a bounded time only: a helper may still hold the pipe.
  const finish = async () => {
    const result = await status;
    killGroup(child.pid);
    await Promise.all([stderr.finish(STDERR_DRAIN_MS), output?.finish(STDERR_DRAIN_MS)]);
    return result;
  };
  const stopped = new Promise<"stop">((resolve) => {
    if (options.stop.aborted) resolve("stop");
    options.stop.addEventListener("abort", () => resolve("stop"), { once: true });
  });
  const timeout = options.readyTimeoutMs ?? 60_000;
  // Not setTimeout: Deno loads its Node timers (some 20 modules) on the first use of it, and
  // this is the launcher's only timer while the container starts.
  const timedOut = new Promise<"timeout">((resolve) => {
    AbortSignal.timeout(timeout).addEventListener("abort", () => resolve("timeout"));
  });
  const first = await Promise.race([
    stderr.ready.then(() => "ready" as const),
    status.then(() => "exit" as const),
    stopped,
    timedOut,
  ]);
  mounted(); // the gateway runs (its mounts made), or is stopped
  if (first === "ready") {
    try {
      const scheme = checked.tls ? "https" : "http";
      await options.onReady?.({ url: `${scheme}://${listen}`, containerId });
    } catch (error) {
      await stopContainer(options, record, child, status, true);
      await finish();
      throw error;
    }
    const next = await Promise.race([status.then(() => "exit" as const), stopped]);
    if (next === "exit") {
      const { code } = await finish();
      return { outcome: "exited", code, containerId };
    }
    const killed = await stopContainer(options, record, child, status, true);
    const { code } = await finish();
    return { outcome: killed ? "killed" : "stopped", code, containerId };
  }
  if (first === "exit") {
    const { code } = await finish();
    if (options.stop.aborted) return { outcome: "cancelled", code, containerId };
    // Another server took the address after it was checked: that is why the gateway failed.
    const taken = addressProblem(options.listen);
    if (taken?.inUse) throw taken.error;
    // Loaded only here: a launch that starts needs none of the explanations.
    const { explainRuntimeFailure } = await import("./_runtime_failure.ts");
    throw explainRuntimeFailure({
      runtime: options.runtime.name,
      code,
      stderr: stderr.text(),
      log: await Deno.readTextFile(runtimeLog(record)).catch(() => ""),
      layout: detectCgroupLayout(),
      rootless: options.uid !== 0,
    });
  }
  // A stop request or a start that took too long, before the gateway answered.
  await stopContainer(options, record, child, status, false);
  const { code } = await finish();
  if (first === "timeout") {
    throw new UserError(`The gateway did not answer within ${timeout / 1000} s`, {
      hint: "Its log lines on stdout may say why",
    });
  }
  return { outcome: "cancelled", code, containerId };
}

/** The runtime's JSON log, in the bundle so it goes with it. */
function runtimeLog(record: LaunchRecord): string {
  return join(record.bundle, "runtime.log");
}

/** How long a stop before the gateway answered waits before killing (it has served nothing). */
const EARLY_STOP_GRACE_MS = 2000;
/** How often that stop is repeated: the gateway ignores it until its handler is installed. */
const EARLY_STOP_REPEAT_MS = 100;
/** How long the runtime's stderr is read after it exited. */
const STDERR_DRAIN_MS = 1000;

/**
 * Asks the runtime to stop the container (SIGTERM, which it forwards), and kills
 * everything the launch started once the grace period is over.
 *
 * @returns whether it had to kill.
 */
async function stopContainer(
  options: LaunchGatewayOptions,
  record: LaunchRecord,
  child: Deno.ChildProcess,
  status: Promise<Deno.CommandStatus>,
  ready: boolean,
): Promise<boolean> {
  signal(child, "SIGTERM");
  // Before the gateway answers, the signal is lost while no handler is installed (the
  // container's init ignores it), so it is repeated.
  const repeat = ready
    ? undefined
    : setInterval(() => signal(child, "SIGTERM"), EARLY_STOP_REPEAT_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<"late">((resolve) => {
    timer = setTimeout(
      () => resolve("late"),
      ready ? options.stopTimeoutMs ?? 10_000 : EARLY_STOP_GRACE_MS,
    );
    if (options.hurry?.aborted) resolve("late");
    options.hurry?.addEventListener("abort", () => resolve("late"), { once: true });
  });
  const result = await Promise.race([status.then(() => "done" as const), grace]);
  clearTimeout(timer);
  clearInterval(repeat);
  if (result === "done") return false;
  await runtimeVerb(record, options.env, ["kill", record.containerId, "KILL"]);
  killGroup(child.pid);
  await killCgroupMembers(record.cgroupDirs);
  return true;
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // Already exited.
  }
}

/** SIGKILLs the process group led by the runtime (what is left of it once it exited). */
function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
  } catch {
    // Nothing left in it.
  }
}

/** Deletes container state, bundle and created cgroups; each step runs even if one fails. */
async function cleanUp(record: LaunchRecord, env: EnvLookup): Promise<void> {
  const problems: string[] = [];
  // First every process in the launch's cgroups, also those of a create interrupted before
  // the runtime could track them: the runtime cannot remove a cgroup still in use.
  await killCgroupMembers(record.cgroupDirs);
  const state = join(record.stateRoot, record.containerId);
  if (await pathExists(state)) {
    const result = await runtimeVerb(record, env, ["delete", "--force", record.containerId]);
    if (!result.success && (await pathExists(state))) {
      if (await hasStateRecord(state)) {
        problems.push(`cannot delete container "${record.containerId}": ${result.stderr.trim()}`);
      } else {
        // A create interrupted before the runtime had recorded the container (no state
        // file, or one cut short): nothing to delete but its directory.
        await removeTree(state).catch((error) => problems.push((error as Error).message));
      }
    }
  }
  const paths = bundlePaths(join(record.bundle, ".."), record.containerId);
  await removeBundle(paths).catch((error) => problems.push((error as Error).message));
  await removeCgroupDirs(record.cgroupDirs);
  if (problems.length > 0) {
    throw new UserError(`Cleanup incomplete: ${problems.join("; ")}`);
  }
}

/** Whether the runtime's state dir holds a complete state file (one it can act on). */
async function hasStateRecord(state: string): Promise<boolean> {
  try {
    JSON.parse(await Deno.readTextFile(join(state, "state.json")));
    return true;
  } catch {
    return false;
  }
}

async function runtimeVerb(
  record: LaunchRecord,
  env: EnvLookup,
  args: string[],
): Promise<{ success: boolean; stderr: string }> {
  try {
    const output = await new Deno.Command(record.runtimePath, {
      args: ["--root", record.stateRoot, ...args],
      env: runtimeEnv(env),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    return { success: output.success, stderr: new TextDecoder().decode(output.stderr) };
  } catch (error) {
    return { success: false, stderr: (error as Error).message };
  }
}

const STDERR_KEPT = 64 * 1024;

/**
 * Hands everything read from `stream` to `sink` as it comes (the pipe is always drained, so
 * a slow sink never stalls the gateway's writes for long).
 */
function pump(stream: ReadableStream<Uint8Array>, sink: (chunk: Uint8Array) => void) {
  const reader = stream.getReader();
  const done = (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      sink(value);
    }
  })().catch(() => {});
  return { finish: (ms: number) => finishReading(reader, done, ms) };
}

/** Waits for the end of a stream at most `ms`, then stops reading it. */
async function finishReading(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: Promise<void>,
  ms: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([done, late]);
  clearTimeout(timer);
  await reader.cancel().catch(() => {});
}

/** The longest start of a line kept while looking for the ready line (it is far shorter). */
const READY_SCAN = 512;

/**
 * Reads the runtime's stderr, which is the gateway's too: keeps its end to explain a failure,
 * forwards it when asked, and resolves `ready` once a whole line is `readyLine`.
 */
function collectStderr(
  stream: ReadableStream<Uint8Array>,
  forward: boolean,
  readyLine: Promise<string>,
) {
  let kept = "";
  const ready = Promise.withResolvers<void>();
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  const done = (async () => {
    const expected = await readyLine;
    let line: string | undefined = ""; // the current line's start; undefined once ready
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (forward) await Deno.stderr.write(value);
      const text = decoder.decode(value, { stream: true });
      kept = (kept + text).slice(-STDERR_KEPT);
      for (let at = 0; line !== undefined && at < text.length;) {
        const end = text.indexOf("\n", at);
        line = (line + text.slice(at, end < 0 ? text.length : end + 1)).slice(0, READY_SCAN);
        if (end < 0) break;
        at = end + 1;
        if (line === expected) {
          line = undefined;
          ready.resolve();
        } else line = "";
      }
    }
  })().catch(() => {});
  return {
    ready: ready.promise,
    finish: (ms: number) => finishReading(reader, done, ms),
    text: () => kept,
  };
}

function formatAddress({ hostname, port }: { hostname: string; port: number }): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/**
 * The address a client on this machine reaches a listener at: a wildcard listen address
 * is reached on loopback.
 *
 * @example
 * ```ts
 * import { clientAddress } from "./mod.ts";
 * clientAddress({ hostname: "::", port: 8090 }); // { hostname: "::1", port: 8090 }
 * ```
 */
export function clientAddress(listen: { hostname: string; port: number }): {
  hostname: string;
  port: number;
} {
  const hostname = listen.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : listen.hostname === "::"
    ? "::1"
    : listen.hostname;
  return { hostname, port: listen.port };
}

/**
 * Fails clearly when nothing can listen on `listen` (taken, or not a local address).
 *
 * @throws {UserError} naming the address.
 */
export function checkAddressFree(listen: { hostname: string; port: number }): void {
  const problem = addressProblem(listen);
  if (problem) throw problem.error;
}

/** Why nothing can listen on `listen` now, if so; `inUse` when another listener has it. */
function addressProblem(
  listen: { hostname: string; port: number },
): { error: UserError; inUse: boolean } | undefined {
  const text = formatAddress(listen);
  try {
    Deno.listen({ hostname: listen.hostname, port: listen.port }).close();
    return undefined;
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      const inUse = new UserError(`Address "${text}" is already in use`, {
        hint: "Stop what listens there or choose another with --listen",
      });
      return { error: inUse, inUse: true };
    }
    const other = new UserError(`Cannot listen on "${text}": ${(error as Error).message}`, {
      hint: "Choose another address with --listen",
    });
    return { error: other, inUse: false };
  }
}
