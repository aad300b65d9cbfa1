/**
 * One launch of the gateway container under an OCI runtime, from lock to cleanup: take the
 * per-name lock, clean what a killed launcher left, stage the bundle, run the runtime in the
 * foreground, wait for the gateway to answer, forward a stop request, and in every outcome
 * delete the container state, the bundle (secrets included) and the cgroups the launch made.
 *
 * @module
 */
import { join } from "node:path";
import {
  buildOciConfig,
  type ContainerResources,
  ROOT_MODE_HOST_ID,
} from "../bundle/oci_config.ts";
import type { SeccompProfile } from "../bundle/seccomp_profile.ts";
import { bundlePaths, removeBundle, stageBundle } from "../bundle/stage_bundle.ts";
import { traceMark } from "../start_trace.ts";
import { pathExists } from "../path_exists.ts";
import { UserError } from "../user_error.ts";
import type { EnvLookup } from "../xdg_dirs.ts";
import { readCallerHardLimits } from "./caller_limits.ts";
import { cgroupDirsFor, missingDirs, removeCgroupDirs, v1ControllerMounts } from "./cgroup_dirs.ts";
import { callerCgroup, decideCgroupsPath, detectCgroupLayout } from "./cgroup_path.ts";
import { newContainerId } from "./container_id.ts";
import { tryLockInstance } from "./instance_lock.ts";
import {
  type LaunchRecord,
  readLaunchRecord,
  removeLaunchRecord,
  writeLaunchRecord,
} from "./launch_record.ts";
import { probeHealth } from "./health_probe.ts";
import { type OciRuntime, runtimeEnv } from "./oci_runtime.ts";
import { ensureOwnedDir } from "./private_dir.ts";
import { explainRuntimeFailure } from "./runtime_failure.ts";
import {
  availableControllers,
  cgroupDelegated,
  decideLimits,
  limitsWriter,
  writeV1Limits,
} from "./resource_limits.ts";

/** Everything one launch needs. */
export interface LaunchGatewayOptions {
  name: string;
  listen: { hostname: string; port: number };
  version: string;
  /**
   * The read-only rootfs (used as is). A promise lets its checks run while the launch
   * prepares: it is awaited before the bundle is staged, and a rejection ends the launch.
   */
  rootfs: string | Promise<string>;
  /** The gateway's host state dir (must exist and be writable by the container's root). */
  stateDir: string;
  /** The API token, staged as a secret file. */
  token: string;
  runtime: OciRuntime;
  /** openshell's runtime dir (`$XDG_RUNTIME_DIR/openshell` or `/run/openshell`). */
  runtimeDir: string;
  /** The caller's uid and gid. */
  uid: number;
  gid: number;
  env: EnvLookup;
  /** The program bound into the container and the source dir under `deno run`. */
  binary: string;
  sourceDir?: string;
  /** The seccomp profile; `undefined` runs the gateway unconfined. */
  seccomp: SeccompProfile | undefined;
  /** The cgroup limits wanted; those the cgroup manager cannot apply are reported and skipped. */
  limits: ContainerResources;
  /** Told once when some limits cannot be applied. */
  onWarning?: (message: string) => void;
  /** Aborting it stops the gateway (SIGTERM, then SIGKILL after `stopTimeoutMs`). */
  stop: AbortSignal;
  onProgress?: (message: string) => void;
  onReady?: (ready: { url: string; containerId: string }) => void | Promise<void>;
  /** Forward the runtime's stderr verbatim (it is always kept to explain failures). */
  forwardRuntimeStderr?: boolean;
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
}

/** How a launch ended after the gateway had answered. */
export interface LaunchResult {
  /** `stopped`: on request, cleanly; `killed`: on request, forcibly; `exited`: on its own. */
  outcome: "stopped" | "killed" | "exited";
  /** The runtime's exit status (the gateway's, when it ran). */
  code: number;
  containerId: string;
}

/** Where the per-name lock and launch record live. */
export function gatewayRuntimeDir(runtimeDir: string, name: string): string {
  return join(runtimeDir, "gateways", name);
}

/** The runtime's `--root` state directory for this caller. */
export function runtimeStateRoot(runtimeDir: string, runtime: OciRuntime): string {
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
  const rootMode = options.uid === 0;
  const nameDir = gatewayRuntimeDir(options.runtimeDir, options.name);
  const stateRoot = runtimeStateRoot(options.runtimeDir, options.runtime);
  const bundles = join(options.runtimeDir, "bundles");
  await ensureOwnedDir(options.runtimeDir, options.uid, rootMode ? 0o711 : 0o700);
  await ensureOwnedDir(join(options.runtimeDir, "gateways"), options.uid, 0o700);
  await ensureOwnedDir(nameDir, options.uid, 0o700);
  // In root mode the container's root (65532) must traverse into its bundle's secrets dir.
  await ensureOwnedDir(bundles, options.uid, rootMode ? 0o711 : 0o700);
  await ensureOwnedDir(join(options.runtimeDir, "oci"), options.uid, 0o700);
  await ensureOwnedDir(stateRoot, options.uid, 0o700);
  traceMark("launch: runtime dirs ready");

  await using lock = await tryLockInstance(nameDir);
  if (!lock) {
    const record = await readLaunchRecord(nameDir);
    throw new UserError(`Gateway "${options.name}" is already being served`, {
      hint: `${
        record ? `Its launcher is pid ${record.pid}; stop` : "Stop"
      } it first, or pick another --name`,
    });
  }
  traceMark("launch: locked");
  const stale = await readLaunchRecord(nameDir);
  if (stale) {
    progress(`Cleaning up container "${stale.containerId}" left by an earlier launch`);
    await cleanUp(stale, options.env);
    await removeLaunchRecord(nameDir);
  }

  // Only now: a container left by a killed launcher may have held the port until cleanup.
  checkAddressFree(options.listen);
  traceMark("launch: address free");
  const containerId = newContainerId(options.name);
  const layout = await detectCgroupLayout();
  const callerPath = callerCgroup(await Deno.readTextFile("/proc/self/cgroup"), layout);
  const cgroupsPath = decideCgroupsPath({
    runtime: options.runtime.name,
    rootless: !rootMode,
    layout,
    callerPath,
    leaf: containerId,
  });
  const limits = decideLimits(options.limits, {
    cgroupsPath,
    rootless: !rootMode,
    layout,
    controllers: await availableControllers(layout, callerPath),
    delegated: layout === "unified" ? await cgroupDelegated(options.uid, callerPath) : true,
  });
  if (limits.reason !== undefined) options.onWarning?.(warnSkipped(limits.skipped, limits.reason));
  const mounts = layout === "unified" ? [] : await v1ControllerMounts();
  const paths = bundlePaths(bundles, containerId);
  const record: LaunchRecord = {
    containerId,
    bundle: paths.dir,
    runtimePath: options.runtime.path,
    stateRoot,
    cgroupDirs: cgroupsPath === undefined
      ? []
      : await missingDirs(cgroupDirsFor(cgroupsPath, layout, mounts)),
    pid: Deno.pid,
  };
  const hostId = rootMode
    ? { uid: ROOT_MODE_HOST_ID, gid: ROOT_MODE_HOST_ID }
    : { uid: options.uid, gid: options.gid };
  const writer = limitsWriter(!rootMode, layout);
  const listen = formatAddress(options.listen);
  const rootfs = await options.rootfs;
  traceMark("launch: rootfs checked");
  const config = buildOciConfig({
    name: options.name,
    listen,
    version: options.version,
    hostUid: hostId.uid,
    hostGid: hostId.gid,
    rootfs,
    stateDir: options.stateDir,
    secretsDir: paths.secrets,
    binary: options.binary,
    ...(options.sourceDir === undefined ? {} : { sourceDir: options.sourceDir }),
    cgroupsPath,
    hardLimits: await readCallerHardLimits(),
    seccomp: options.seccomp,
    resources: writer === "runtime" ? limits.applied : {},
  });
  traceMark("launch: config built");
  await writeLaunchRecord(nameDir, record);
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
      secrets: { token: options.token + "\n" },
      ...(rootMode ? { containerOwner: hostId } : {}),
    });
    traceMark("launch: bundle staged");
    progress(`Starting container "${containerId}" with ${options.runtime.name}`);
    return await runContainer(options, record, listen);
  } finally {
    await cleanUp(record, options.env);
    await removeLaunchRecord(nameDir);
  }
}

async function runContainer(
  options: LaunchGatewayOptions,
  record: LaunchRecord,
  listen: string,
): Promise<LaunchResult> {
  const { containerId } = record;
  const child = new Deno.Command(options.runtime.path, {
    args: ["--root", record.stateRoot, "run", "--bundle", record.bundle, containerId],
    env: runtimeEnv(options.env),
    clearEnv: true,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  traceMark("launch: runtime spawned");
  const stderr = collectStderr(child.stderr, options.forwardRuntimeStderr ?? false);
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  const stopped = new Promise<"stop">((resolve) => {
    if (options.stop.aborted) resolve("stop");
    options.stop.addEventListener("abort", () => resolve("stop"), { once: true });
  });
  const ready = waitUntilHealthy(
    probeAddress(options.listen),
    () => exited || options.stop.aborted,
  );
  const timeout = options.readyTimeoutMs ?? 60_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeout);
  });
  const first = await Promise.race([
    ready.then((ok) => (ok ? "ready" as const : "gone" as const)),
    status.then(() => "exit" as const),
    stopped,
    timedOut,
  ]);
  clearTimeout(timer);
  if (first === "ready") {
    try {
      await options.onReady?.({ url: `http://${listen}`, containerId });
    } catch (error) {
      await stopContainer(options, record, child, status);
      await stderr.done;
      throw error;
    }
    const next = await Promise.race([status.then(() => "exit" as const), stopped]);
    if (next === "exit") {
      const { code } = await status;
      await stderr.done;
      return { outcome: "exited", code, containerId };
    }
  } else if (first === "exit" || first === "gone") {
    const { code } = await status;
    await stderr.done;
    throw explainRuntimeFailure({
      runtime: options.runtime.name,
      code,
      stderr: stderr.text(),
      layout: await detectCgroupLayout(),
      rootless: options.uid !== 0,
    });
  }
  // A stop request or a start that took too long: SIGTERM, then SIGKILL.
  const killed = await stopContainer(options, record, child, status);
  const { code } = await status;
  await stderr.done;
  if (first === "timeout") {
    throw new UserError(`The gateway did not answer within ${timeout / 1000} s`, {
      hint: "Its log lines on stdout may say why",
    });
  }
  return { outcome: killed ? "killed" : "stopped", code, containerId };
}

async function stopContainer(
  options: LaunchGatewayOptions,
  record: LaunchRecord,
  child: Deno.ChildProcess,
  status: Promise<Deno.CommandStatus>,
): Promise<boolean> {
  signal(child, "SIGTERM");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), options.stopTimeoutMs ?? 10_000);
  });
  const result = await Promise.race([status.then(() => "done" as const), grace]);
  clearTimeout(timer);
  if (result === "done") return false;
  await runtimeVerb(record, options.env, ["kill", record.containerId, "KILL"]);
  signal(child, "SIGKILL");
  return true;
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // Already exited.
  }
}

/** Deletes container state, bundle and created cgroups; each step runs even if one fails. */
async function cleanUp(record: LaunchRecord, env: EnvLookup): Promise<void> {
  const problems: string[] = [];
  const state = join(record.stateRoot, record.containerId);
  if (await pathExists(state)) {
    const result = await runtimeVerb(record, env, ["delete", "--force", record.containerId]);
    if (!result.success && (await pathExists(state))) {
      problems.push(`cannot delete container "${record.containerId}": ${result.stderr.trim()}`);
    }
  }
  const paths = bundlePaths(join(record.bundle, ".."), record.containerId);
  await removeBundle(paths).catch((error) => problems.push((error as Error).message));
  await removeCgroupDirs(record.cgroupDirs);
  if (problems.length > 0) {
    throw new UserError(`Cleanup incomplete: ${problems.join("; ")}`);
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

/** Polls `/healthz` until it answers 200; false once `gone()` says waiting is pointless. */
async function waitUntilHealthy(
  address: { hostname: string; port: number },
  gone: () => boolean,
): Promise<boolean> {
  for (let delay = 1; !gone(); delay = Math.min(delay * 2, 4)) {
    if (await probeHealth(address, "/healthz")) return true;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  return false;
}

const STDERR_KEPT = 64 * 1024;

function collectStderr(stream: ReadableStream<Uint8Array>, forward: boolean) {
  let kept = "";
  const decoder = new TextDecoder();
  const done = (async () => {
    for await (const chunk of stream) {
      if (forward) await Deno.stderr.write(chunk);
      kept = (kept + decoder.decode(chunk, { stream: true })).slice(-STDERR_KEPT);
    }
  })().catch(() => {});
  return { done, text: () => kept };
}

function warnSkipped(keys: string[], reason: string): string {
  const flags = keys.map((key) => key === "memoryBytes" ? "--memory" : `--${key}`);
  return `Running without the ${flags.join(", ")} limit(s): ${reason}`;
}

function formatAddress({ hostname, port }: { hostname: string; port: number }): string {
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** The address to probe: a wildcard listen address is reached on loopback. */
function probeAddress(listen: { hostname: string; port: number }): {
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
  const text = formatAddress(listen);
  try {
    Deno.listen({ hostname: listen.hostname, port: listen.port }).close();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new UserError(`Address "${text}" is already in use`, {
        hint: "Stop what listens there or choose another with --listen",
      });
    }
    throw new UserError(`Cannot listen on "${text}": ${(error as Error).message}`, {
      hint: "Choose another address with --listen",
    });
  }
}
