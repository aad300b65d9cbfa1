/**
 * What `openshell serve` does: check its input, make sure the rootfs is ready, launch the
 * gateway container, register the gateway once it answers, and stop it on a signal. It
 * prints nothing: what a user sees is told to the caller through {@linkcode ServeEvents}.
 *
 * @module
 */
import { dirname, join, resolve } from "../path/mod.ts";
import denoJson from "../../deno.json" with { type: "json" };
import {
  ensureProgramCopy,
  ensureRootfs,
  programCacheDir,
  runningProgram,
  verifyEntryClosure,
} from "../image/mod.ts";
import type { ContainerResources } from "../container/mod.ts";
import { ROOT_MODE_HOST_ID } from "../contract/mod.ts";
import { maskedEqOrder, seccompProfile } from "../container/mod.ts";
import { parseListenAddress } from "../contract/mod.ts";
import { pathExistsSync } from "../files/mod.ts";
import {
  gatewayTokenPath,
  type RegistryRoots,
  registryRoots,
  validateGatewayName,
} from "../registry/mod.ts";
import {
  readServedPki,
  refuseForeignRegistration,
  registerServedGateway,
  servedGatewayToken,
  type ServedPki,
  servedRegistrationEndpoint,
} from "../register/mod.ts";
import { clientAddress, launchGateway } from "../runtime/mod.ts";
import {
  canReach,
  type OciRuntime,
  parseCount,
  parseCpus,
  parseSize,
  type Reacher,
  resolveRuntime,
} from "../runtime/mod.ts";
import { traceMark } from "../host/mod.ts";
import { UsageError, UserError } from "../errors/mod.ts";
import {
  catchStopSignals,
  effectiveUid,
  type EnvLookup,
  gatewayHomes,
  onStopSignal,
  openshellDir,
  processEnv,
  type RuntimeDirChoice,
  runtimeDirChoice,
} from "../host/mod.ts";
import { SERVE_DEFAULTS, type ServeAuth, type ServeOptions } from "./serve_args.ts";
import { exposureWarning, servedListen } from "./served_listen.ts";
import { decideRootStateDir, type StateDirVerdict } from "./_state_dir_rule.ts";
import { trackServe } from "./_serve_tracking.ts";
import { passedBefore, pkiCheckKey, pkiRecordPath, recordPass } from "./_pki_record.ts";
import { notifyServiceManager } from "./systemd_notify.ts";

/**
 * What a serve tells its caller while it runs. A callback that throws (say, its output
 * pipe closed) ends the serve: the launch is cleaned up and the error rethrown.
 */
export interface ServeEvents {
  /** A step under way or a note (the runtime chosen, the rootfs unpacked, ...). */
  progress(text: string): void;
  /** Something that works but not as asked (seccomp off, a limit that cannot apply). */
  warning(text: string): void;
  /** The gateway answers and is registered under `name`. */
  ready(gateway: { name: string; url: string; containerId: string }): void;
  /** Where the gateway's own log lines go; this process's stdout when absent. */
  output?: (chunk: Uint8Array) => void;
}

/**
 * How a serve ended without an error: its gateway `stopped` on a signal (with the
 * container's exit status), or the signal came before it answered (`cancelled`).
 */
export type ServeOutcome =
  | { outcome: "stopped"; name: string; code: number }
  | { outcome: "cancelled"; name: string };

/**
 * Serves the gateway until it is stopped.
 *
 * @throws {UserError} for bad input, a failed start, or a gateway that exits on its own
 *   or has to be killed.
 * @example
 * ```ts
 * import { SERVE_DEFAULTS } from "./mod.ts";
 * const ended = await serveGateway({ ...SERVE_DEFAULTS, name: "dev" }, {
 *   progress: (text) => console.error(text),
 *   warning: (text) => console.error(`warning: ${text}`),
 *   ready: ({ url }) => console.error(`ready at ${url}`),
 * });
 * ```
 */
export async function serveGateway(
  options: ServeOptions,
  events: ServeEvents,
): Promise<ServeOutcome> {
  // First: a stop sent while the checks run is kept, not lost.
  catchStopSignals();
  traceMark("serve: options parsed");
  const env = processEnv;
  const uid = effectiveUid();
  const gid = Deno.gid() ?? 0;
  const name = validateGatewayName(options.name);
  if (options.listen !== undefined) readListen(options.listen);
  const limits = serveLimits(options);
  const roots = registryRoots(env, uid, (text) => events.warning(text));
  // The checks start at once, from before the listen address is decided (most make
  // synchronous calls, far cheaper than thread-pool round trips, so they largely run in turn).
  // Their errors are reported after its, in turn: the foreign registration, the runtime, the
  // token, the program, the rootfs. Once the runtime is known, the launch prepares while the
  // rest finish; it stages the bundle only once they have passed.
  const registered = servedRegistrationEndpoint(roots, name);
  const checks = {
    foreign: refuseForeignRegistration(roots, name),
    token: servedGatewayToken(roots, name),
    rootfs: readyRootfs(env, uid, events),
    runtime: resolveRuntime({ name: options.runtime, path: options.runtimePath, env, uid }),
    program: reachableProgram(env, uid, events),
  };
  const all = [registered, ...Object.values(checks)] as Promise<unknown>[];
  for (const check of all) check.catch(() => {}); // awaited below, in turn
  let stateDir: { path: string; created: boolean } | undefined;
  let listen: { hostname: string; port: number };
  let auth: ServeAuth;
  let runtimeDirs: RuntimeDirChoice;
  let runtime: OciRuntime;
  try {
    const decided = servedListen(
      name,
      { address: options.listen, auth: options.auth },
      await registered,
      { address: SERVE_DEFAULTS.listen, auth: SERVE_DEFAULTS.auth },
      (address) => clientAddress(readListen(address)),
    );
    if (decided.kind === "conflict") throw new UserError(decided.message, { hint: decided.hint });
    listen = readListen(decided.address);
    auth = decided.auth;
    const exposure = exposureWarning(listen, auth);
    if (exposure !== undefined) events.warning(exposure);
    if (options.seccomp === "unconfined") {
      events.warning("seccomp is off (--seccomp=unconfined): the gateway may make any system call");
    }
    runtimeDirs = runtimeDirChoice(env, uid);
    if (runtimeDirs.ignored !== undefined) {
      events.warning(
        `${runtimeDirs.ignored}: not a private runtime dir, so it is ignored; using ${runtimeDirs.path}`,
      );
    }
    await checks.foreign;
    const resolved = await checks.runtime;
    if (resolved.note) events.progress(resolved.note);
    runtime = resolved.runtime;
  } catch (error) {
    // No check left running and no unpack left half-done behind an earlier error.
    await Promise.allSettled(all);
    throw error;
  }
  const checked = (async () => {
    const token = await checks.token;
    // After the checks above: a new gateway's PKI is made here.
    const tls = auth === "mtls"
      ? await servedPki(roots, name, listen.hostname, pkiRecordPath(env, uid, name), events)
      : undefined;
    const program = await checks.program;
    // Last: from here on a failed launch removes the state dir it made.
    stateDir = prepareStateDir(
      options.stateDir ?? join(openshellDir("state", env, uid), "gateways", name),
      uid,
    );
    const rootfs = await checks.rootfs;
    traceMark("serve: checks done");
    return {
      token,
      tls,
      launch: { rootfs, stateDir: stateDir.path, token: token.value, tls: tls?.pki, ...program },
    };
  })();
  checked.catch(() => {}); // awaited by the launch, or below when it failed first

  const runtimeDir = runtimeDirs.path;
  const gatewayHome = gatewayHomes(uid)[0]!;
  const tracking = trackServe({
    name,
    gatewayHome,
    uid,
    tokenPath: gatewayTokenPath(roots, name),
    env,
  });
  const stop = new AbortController();
  const hurry = new AbortController();
  // A second stop signal does not wait out the grace period.
  const stopListening = onStopSignal(() => (stop.signal.aborted ? hurry.abort() : stop.abort()));
  let answered = false;
  // A launch that never answered (failed or cancelled) removes the state dir it made.
  const removeNewStateDir = async () => {
    if (!answered && stateDir?.created) {
      await Deno.remove(stateDir.path, { recursive: true }).catch(() => {});
    }
  };
  try {
    const result = await launchGateway({
      name,
      listen,
      version: denoJson.version,
      checked: checked.then((passed) => passed.launch),
      runtime,
      runtimeDir,
      gatewayHome,
      uid,
      gid,
      env,
      seccomp: options.seccomp === "unconfined"
        ? undefined
        : seccompProfile(Deno.build.arch, maskedEqOrder(runtime.name)),
      limits,
      stop: stop.signal,
      hurry: hurry.signal,
      onProgress: (text) => events.progress(text),
      onWarning: (text) => events.warning(text),
      forwardRuntimeStderr: Boolean(env("OPENSHELL_DEBUG")),
      ...(events.output === undefined ? {} : { output: events.output }),
      onEnd: () => tracking.ended(),
      onReady: async ({ url, containerId }) => {
        traceMark("serve: healthy");
        answered = true;
        const { token, tls } = await checked;
        // Written only now: a launch that never answered leaves no trace in the registry.
        await registerServedGateway(roots, {
          name,
          endpoint: clientAddress(listen),
          token,
          tls,
        });
        traceMark("serve: registered");
        events.ready({ name, url, containerId });
        await tracking.ready({ url, containerId, runtime });
        // Under a service manager (systemd's Type=notify) the start completes only now.
        const status = `READY=1\nSTATUS=Gateway "${name}" is ready at ${url}`;
        if (env("NOTIFY_SOCKET") !== undefined && !notifyServiceManager(status, env)) {
          events.warning("the service manager (NOTIFY_SOCKET) could not be told it is ready");
        }
      },
    });
    if (result.outcome === "stopped") return { outcome: "stopped", name, code: result.code };
    if (result.outcome === "cancelled") {
      await removeNewStateDir();
      return { outcome: "cancelled", name };
    }
    if (result.outcome === "killed") {
      throw new UserError(`Gateway "${name}" did not stop in time and was killed`);
    }
    throw new UserError(`Gateway "${name}" exited on its own with status ${result.code}`, {
      hint: "Its log lines on stdout say why",
    });
  } catch (error) {
    // No check left running, no unpack left half-done, and the state dir this launch made
    // removed with the launch that never answered.
    await Promise.allSettled([...all, checked]);
    await removeNewStateDir();
    throw error;
  } finally {
    stopListening();
  }
}

/**
 * The gateway's PKI: the stored one when it is whole and still fits (its server certificate
 * covering the listen host), else a new one, saying why. Certificates are loaded only here,
 * and only when the stored PKI is not the one a recorded check passed (`record`).
 */
async function servedPki(
  roots: RegistryRoots,
  name: string,
  listenHost: string,
  record: string,
  events: ServeEvents,
): Promise<ServedPki> {
  const stored = await readServedPki(roots, name);
  const key = "pki" in stored ? await pkiCheckKey(stored.pki, listenHost) : undefined;
  if ("pki" in stored && passedBefore(record, key!)) {
    traceMark("serve: pki checked (recorded)");
    return { pki: stored.pki, stored: true };
  }
  const { generateGatewayPki, pkiMismatch, pkiValidity, serverNames } = await import(
    "../pki/mod.ts"
  );
  const names = serverNames(listenHost);
  const why = "pki" in stored
    ? await pkiMismatch(stored.pki, names)
    : `"${stored.missing}" is missing`;
  if (why === undefined && "pki" in stored) {
    await recordPass(record, { key: key!, ...pkiValidity(stored.pki) });
    return { pki: stored.pki, stored: true };
  }
  if ("pki" in stored || stored.partial) {
    events.progress(`Generating new TLS certificates for "${name}": ${why}`);
  }
  traceMark("serve: pki checked");
  return { pki: await generateGatewayPki(names), stored: false };
}

/**
 * The program and sources to mount: the running ones, or, in root mode when the
 * container's root (uid 65532) cannot reach them (a checkout or install under a 0700
 * home), their content-addressed copies in root's cache.
 */
async function reachableProgram(
  env: EnvLookup,
  uid: number,
  events: ServeEvents,
): Promise<{ binary: string; sourceDir?: string }> {
  const running = runningProgram();
  if (uid !== 0) return running;
  const { binary, sourceDir } = running;
  const container: Reacher = { uid: ROOT_MODE_HOST_ID, gid: ROOT_MODE_HOST_ID };
  const reachable = async (path: string, use: "execute" | "read") => {
    if (await canReach(path, container, use)) return path;
    return await ensureProgramCopy(path, programCacheDir(env, uid), {
      onCopy: (to) =>
        events.progress(
          `Copying "${path}" to "${to}": the container's root (uid ${ROOT_MODE_HOST_ID}) cannot reach it`,
        ),
    });
  };
  const [program, sources] = await Promise.all([
    reachable(binary, "execute"),
    sourceDir === undefined ? undefined : reachable(sourceDir, "read"),
  ]);
  return { binary: program, ...(sources === undefined ? {} : { sourceDir: sources }) };
}

/**
 * A listen address, checked as `serve --listen` (and `doctor --listen`, which judges the same
 * address) takes it.
 *
 * @throws {UsageError} for one that is not HOST:PORT, or a port below 1024.
 * @example
 * ```ts
 * readListen("127.0.0.1:8090"); // { hostname: "127.0.0.1", port: 8090 }
 * ```
 */
export function readListen(address: string): { hostname: string; port: number } {
  let listen: { hostname: string; port: number };
  try {
    listen = parseListenAddress(address);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^Invalid/, "invalid"), {
      hint: "Use HOST:PORT, e.g. --listen 127.0.0.1:8090",
    });
  }
  if (listen.port < 1024) {
    throw new UsageError(`invalid listen address "${address}": port below 1024`, {
      hint: "The gateway runs without capabilities and cannot bind ports below 1024",
    });
  }
  return listen;
}

/**
 * The container's limits from `--memory`, `--pids` and `--cpus` (`doctor` judges the
 * defaults).
 *
 * @throws {UsageError} naming the option with a bad value.
 */
export function serveLimits(
  options: Pick<ServeOptions, "memory" | "pids" | "cpus">,
): ContainerResources {
  const read = <T>(flag: string, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      throw new UsageError(`${(error as Error).message} for ${flag}`, {
        hint: "e.g. --memory 512M --pids 512 --cpus 1.5",
      });
    }
  };
  const cpus = read("--cpus", () => parseCpus(options.cpus));
  return {
    memoryBytes: read("--memory", () => parseSize(options.memory)),
    pids: read("--pids", () => parseCount(options.pids, "pids", 16)),
    ...(cpus === undefined ? {} : { cpus }),
  };
}

/**
 * The unpacked rootfs, checked: the image against its manifest, the cache entry against
 * the image, and the program's runtime closure inside it.
 *
 * @throws {UserError} when a check fails.
 */
async function readyRootfs(env: EnvLookup, uid: number, events: ServeEvents): Promise<string> {
  const cache = { env, uid, onProgress: (text: string) => events.progress(text) };
  const rootfs = await ensureRootfs(cache);
  traceMark("serve: rootfs ready");
  const closure = await verifyEntryClosure(cache, rootfs, Deno.execPath());
  traceMark("serve: closure checked");
  if (!closure.ok) {
    throw new UserError(
      `The gateway rootfs "${rootfs.path}" lacks what the program needs: ${
        closure.missing.join(", ")
      }`,
      {
        hint: "The image lacks them: rebuild it on a host like this one (`deno task build:rootfs`)",
      },
    );
  }
  return rootfs.path;
}

/**
 * Creates the state dir and checks the container's root can write it. Synchronous calls: the
 * launch waits on each of them in turn.
 */
function prepareStateDir(path: string, uid: number): { path: string; created: boolean } {
  const dir = resolve(path);
  const created = !pathExistsSync(dir);
  let verdict: StateDirVerdict | undefined;
  try {
    // In root mode the container's root (host uid 65532) must reach and own the state dir.
    Deno.mkdirSync(dirname(dir), { recursive: true, mode: uid === 0 ? 0o755 : 0o700 });
    if (uid === 0) {
      verdict = rootStateDirVerdict(dir);
      if (verdict.action === "take") Deno.chownSync(dir, ROOT_MODE_HOST_ID, ROOT_MODE_HOST_ID);
    } else {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const probe = join(dir, `.probe-${crypto.randomUUID()}`);
      Deno.writeTextFileSync(probe, "", { createNew: true });
      Deno.removeSync(probe);
    }
  } catch (error) {
    throw new UserError(`State dir "${dir}" is not writable: ${(error as Error).message}`, {
      hint: "Choose another with --state-dir or fix its permissions",
      cause: error,
    });
  }
  if (verdict?.action === "refuse") {
    throw new UserError(`State dir "${dir}" ${verdict.reason} and was not created by openshell`, {
      hint:
        `As root the gateway runs as uid ${ROOT_MODE_HOST_ID} and gets only a new directory, an empty one owned by root or one already owned by ${ROOT_MODE_HOST_ID}; choose another with --state-dir, or chown ${ROOT_MODE_HOST_ID}:${ROOT_MODE_HOST_ID} it yourself`,
    });
  }
  return { path: dir, created };
}

/** Creates the state dir when absent, then decides what root mode may do with it. */
function rootStateDirVerdict(dir: string): StateDirVerdict {
  let created = true;
  try {
    Deno.mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    created = false;
  }
  const info = Deno.statSync(dir);
  let empty = true;
  if (info.isDirectory && !created) {
    for (const _ of Deno.readDirSync(dir)) {
      empty = false;
      break;
    }
  }
  return decideRootStateDir(
    { created, isDirectory: info.isDirectory, uid: info.uid ?? -1, empty },
    ROOT_MODE_HOST_ID,
  );
}
