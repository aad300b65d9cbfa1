/**
 * What `openshell serve` does: check its input, make sure the rootfs is ready, launch the
 * gateway container, register the gateway once it answers, and stop it on a signal. Loads
 * no CLI library: plain arguments are read by `quickServeOptions`, anything else by the
 * full parser in `serve_command.ts`.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import denoJson from "../../deno.json" with { type: "json" };
import { atomicWriteFile } from "../atomic_write.ts";
import { ensureRootfs, verifyClosure } from "../bundle/mod.ts";
import { ROOT_MODE_HOST_ID } from "../bundle/oci_config.ts";
import { parseListenAddress } from "../gateway/gateway_options.ts";
import { pathExists } from "../path_exists.ts";
// Only the light parts of the registry before the gateway runs: the rest (schema checks) is
// loaded for registration once the gateway answers, off the start-up path.
import { type RegistryRoots, registryRoots } from "../registry/registry_roots.ts";
import { validateGatewayName } from "../registry/gateway_name.ts";
import { launchGateway } from "../runtime/launch_gateway.ts";
import { locateRuntime, type OciRuntime } from "../runtime/oci_runtime.ts";
import { traceMark } from "../start_trace.ts";
import { UsageError, UserError } from "../user_error.ts";
import { effectiveUid, type EnvLookup, openshellDir, processEnv } from "../xdg_dirs.ts";
import { paint, printMessage, printWarning } from "./output.ts";
import { quickServeOptions, type ServeOptions } from "./serve_args.ts";
import { trackServe } from "./serve_tracking.ts";

export type { ServeOptions } from "./serve_args.ts";

/** The file beside a gateway's registration that marks it as made by `serve`. */
const SERVE_MARKER = "serve.json";
/** Signals that stop the gateway (a closed terminal too, so no container is orphaned). */
const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
/** The API token file in the user gateway dir. */
const TOKEN_FILE = "token";

/**
 * Runs `openshell serve ARGS` and returns the exit status. Plain arguments start serving
 * at once; anything else (help, a parse error, an unusual form) goes through the full
 * parser, loaded only then. Output, errors and exit statuses are those of the full CLI.
 */
export async function runServeCli(args: string[]): Promise<number> {
  const options = quickServeOptions(args);
  if (options === undefined) {
    const { runServeCommand } = await import("./serve_command.ts");
    return await runServeCommand(args);
  }
  try {
    return await serve(options);
  } catch (error) {
    return reportServeError(error);
  }
}

/** Prints `error:` and `hint:` lines for a failed `serve` as the CLI does; returns the status. */
export function reportServeError(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  printMessage(`${paint("red", "error:", "stderr")} ${message}`);
  if (error instanceof UserError) {
    if (error.hint) printMessage(`hint: ${error.hint}`);
    return error.exitCode;
  }
  if (Deno.env.get("OPENSHELL_DEBUG") && error instanceof Error) printMessage(error.stack ?? "");
  else printMessage("hint: this is a bug in openshell; rerun with OPENSHELL_DEBUG=1 for details");
  return 1;
}

/**
 * Serves the gateway until it is stopped; returns the exit status (0 after a clean stop).
 *
 * @throws {UserError} for bad input or a failed start.
 */
export async function serve(options: ServeOptions): Promise<number> {
  traceMark("serve: options parsed");
  const env = processEnv;
  const uid = effectiveUid();
  const gid = Deno.gid() ?? 0;
  const name = validateGatewayName(options.name);
  let listen: { hostname: string; port: number };
  try {
    listen = parseListenAddress(options.listen);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^Invalid/, "invalid"), {
      hint: "Use HOST:PORT, e.g. --listen 127.0.0.1:8090",
    });
  }
  if (listen.port < 1024) {
    throw new UsageError(`invalid listen address "${options.listen}": port below 1024`, {
      hint: "The gateway runs without capabilities and cannot bind ports below 1024",
    });
  }
  const roots = registryRoots(env, uid, printWarning);
  // The rootfs checks (the longest steps) run while the other checks and the launch
  // prepare; the bundle is staged only once they have passed.
  const rootfs = readyRootfs(env, uid);
  rootfs.catch(() => {}); // awaited below or by the launch
  let stateDir: string;
  let runtime: OciRuntime;
  let token: string;
  try {
    const located = locateRuntime({ name: options.runtime, path: options.runtimePath, env });
    located.catch(() => {}); // awaited in turn, so errors keep their order
    await refuseForeignRegistration(roots, name);
    runtime = await located;
    stateDir = await prepareStateDir(
      options.stateDir ?? join(openshellDir("state", env, uid), "gateways", name),
      uid,
    );
    token = await ensureToken(roots, name);
    traceMark("serve: checks done");
  } catch (error) {
    await rootfs.catch(() => {}); // no unpack left half-done behind an earlier error
    throw error;
  }

  const runtimeDir = openshellDir("runtime", env, uid);
  await using tracking = trackServe({
    name,
    runtimeDir,
    uid,
    tokenPath: join(userGatewayDir(roots, name), TOKEN_FILE),
    env,
  });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, onSignal);
  try {
    const result = await launchGateway({
      name,
      listen,
      version: denoJson.version,
      rootfs,
      stateDir,
      token,
      runtime,
      runtimeDir,
      uid,
      gid,
      env,
      binary: Deno.execPath(),
      ...(Deno.build.standalone ? {} : { sourceDir: resolve(import.meta.dirname!, "..") }),
      stop: stop.signal,
      onProgress: printMessage,
      forwardRuntimeStderr: Boolean(env("OPENSHELL_DEBUG")),
      onReady: async ({ url, containerId }) => {
        traceMark("serve: healthy");
        await register(roots, name, listen);
        traceMark("serve: registered");
        printMessage(`Gateway "${name}" is ready at ${url} (container ${containerId})`);
        await tracking.ready({ url, containerId, runtime });
      },
    });
    if (result.outcome === "stopped") {
      printMessage(`Gateway "${name}" stopped`);
      return result.code === 0 ? 0 : 1;
    }
    if (result.outcome === "killed") {
      throw new UserError(`Gateway "${name}" did not stop in time and was killed`);
    }
    throw new UserError(`Gateway "${name}" exited on its own with status ${result.code}`, {
      hint: "Its log lines on stdout say why",
    });
  } finally {
    for (const signal of STOP_SIGNALS) {
      Deno.removeSignalListener(signal, onSignal);
    }
    await rootfs.catch(() => {}); // settled unless the launch failed before it needed it
  }
}

/**
 * The unpacked rootfs, checked: the image against its manifest, the cache entry against
 * the image, and the program's runtime closure inside it.
 *
 * @throws {UserError} when a check fails.
 */
async function readyRootfs(env: EnvLookup, uid: number): Promise<string> {
  const rootfs = await ensureRootfs({ env, uid, onProgress: printMessage });
  traceMark("serve: rootfs ready");
  const closure = await verifyClosure(rootfs.path, Deno.execPath());
  traceMark("serve: closure checked");
  if (!closure.ok) {
    throw new UserError(
      `The gateway rootfs "${rootfs.path}" lacks what the program needs: ${
        closure.missing.join(", ")
      }`,
      { hint: "Run `openshell bundle gc` and try again, or rebuild the image" },
    );
  }
  return rootfs.path;
}

/** Refuses a user entry of this name that `serve` did not create. */
async function refuseForeignRegistration(roots: RegistryRoots, name: string): Promise<void> {
  const metadata = join(userGatewayDir(roots, name), "metadata.json");
  if (!(await pathExists(metadata))) return;
  if (await pathExists(join(userGatewayDir(roots, name), SERVE_MARKER))) return;
  throw new UserError(`Gateway "${name}" is already registered and was not created by serve`, {
    hint: "Pick another name with --name",
  });
}

/** Registers (or updates the endpoint of) the served gateway; selects it when none is active. */
async function register(
  roots: RegistryRoots,
  name: string,
  listen: { hostname: string; port: number },
): Promise<void> {
  const host = listen.hostname === "0.0.0.0"
    ? "127.0.0.1"
    : listen.hostname === "::"
    ? "[::1]"
    : listen.hostname.includes(":")
    ? `[${listen.hostname}]`
    : listen.hostname;
  const { addUserGateway, readGatewayMetadata, serializeGatewayMetadata } = await import(
    "../registry/mod.ts"
  );
  const metadata = {
    name,
    gateway_endpoint: `http://${host}:${listen.port}`,
    is_remote: false,
    gateway_port: listen.port,
    auth_mode: "plaintext",
  };
  const dir = userGatewayDir(roots, name);
  await atomicWriteFile(join(dir, SERVE_MARKER), JSON.stringify({ served: true }) + "\n", {
    mode: 0o600,
  });
  const path = join(dir, "metadata.json");
  if (await pathExists(path)) {
    const current = await readGatewayMetadata(roots, name).catch(() => undefined);
    if (current?.metadata.gateway_endpoint === metadata.gateway_endpoint) return;
    await atomicWriteFile(path, serializeGatewayMetadata(metadata), { mode: 0o644 });
    return;
  }
  await addUserGateway(roots, metadata, { activate: "if-none" });
}

/** The gateway's API token: read from the user gateway dir, created (0600) the first time. */
async function ensureToken(roots: RegistryRoots, name: string): Promise<string> {
  const path = join(userGatewayDir(roots, name), TOKEN_FILE);
  try {
    const token = (await Deno.readTextFile(path)).trim();
    if (token !== "") return token;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const token = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  await Deno.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await atomicWriteFile(path, token + "\n", { mode: 0o600 });
  return token;
}

/** Creates the state dir and checks the container's root can write it. */
async function prepareStateDir(path: string, uid: number): Promise<string> {
  const dir = resolve(path);
  try {
    // In root mode the container's root (host uid 65532) must reach and own the state dir.
    await Deno.mkdir(dirname(dir), { recursive: true, mode: uid === 0 ? 0o755 : 0o700 });
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    if (uid === 0) {
      await Deno.chown(dir, ROOT_MODE_HOST_ID, ROOT_MODE_HOST_ID);
    } else {
      const probe = join(dir, `.probe-${crypto.randomUUID()}`);
      await Deno.writeTextFile(probe, "", { createNew: true });
      await Deno.remove(probe);
    }
  } catch (error) {
    throw new UserError(`State dir "${dir}" is not writable: ${(error as Error).message}`, {
      hint: "Choose another with --state-dir or fix its permissions",
      cause: error,
    });
  }
  return dir;
}

/** `gateways/<name>/` of the user registry root (the registry's layout). */
function userGatewayDir(roots: RegistryRoots, name: string): string {
  return join(roots.user, "gateways", validateGatewayName(name));
}
