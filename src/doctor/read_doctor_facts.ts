import { dirname, join, resolve } from "../path/mod.ts";
import {
  checkTarball,
  imageSource,
  inspectRootfs,
  loadManifest,
  readTarball,
  verifyClosure,
} from "../image/mod.ts";
import { ROOT_MODE_HOST_ID } from "../contract/mod.ts";
import {
  listGateways,
  readGatewayMetadata,
  registryRoots,
  resolveActiveGateway,
} from "../registry/mod.ts";
import {
  callerGroups,
  gatherRuntimeFacts,
  installCommands,
  type PathStep,
  pathSteps,
  type PathUse,
  planLimits,
  programOrigin,
  readCgroupFacts,
  readUserNamespaceFacts,
  RUNTIME_NAMES,
  runtimeEnv,
  type RuntimeName,
  runtimeNameForPath,
} from "../runtime/mod.ts";
// The launch itself stays out of the folder's door, which `version` loads.
import { checkAddressFree } from "../runtime/mod.ts";
import { listServed, SERVE_DEFAULTS, serveLimits } from "../serve/mod.ts";
import { type EnvLookup, openshellDir, runtimeDirChoice } from "../host/mod.ts";
import { reachBlocker } from "./_reach_blocker.ts";
import { doctorRuntimeChoice } from "./_serve_runtime.ts";
import type { DoctorFacts, ReachFinding, RuntimeProbe } from "./doctor_facts.ts";

/** What `doctor` needs to know about the program and the address serve listens on. */
export interface DoctorOptions {
  env: EnvLookup;
  uid: number;
  /** The program a launch mounts, and its sources under `deno run`. */
  binary: string;
  sourceDir?: string | undefined;
  listen: { hostname: string; port: number };
}

/** Reads every fact `doctor` judges, from this host, for the calling user. */
export async function readDoctorFacts(options: DoctorOptions): Promise<DoctorFacts> {
  const { env, uid } = options;
  const runtimeFacts = await gatherRuntimeFacts(env, uid);
  const [userNamespaces, cgroups, runtimes, rootReach, runtimeDir, rootfs, registry] = await Promise
    .all([
      readUserNamespaceFacts(),
      readCgroupFacts(uid, callerGroups()),
      probeRuntimes(runtimeFacts.installed, env),
      uid === 0 ? readRootReach(options) : Promise.resolve([]),
      readRuntimeDir(env, uid),
      readRootfs(options),
      readRegistry(env, uid),
    ]);
  const override = env("OPENSHELL_OCI_RUNTIME") || undefined;
  const origin = programOrigin();
  const choice = doctorRuntimeChoice(runtimeFacts, origin);
  return {
    uid,
    userNamespaces,
    cgroups,
    runtimes,
    choice,
    runtimeOverride: override,
    installCommands: installCommands(origin),
    limits: await readLimits(
      uid,
      override !== undefined ? runtimeNameForPath(override) : choice.runtime,
    ),
    rootReach,
    runtimeDir,
    rootfs,
    registry,
    listen: await readListen(options.listen, uid),
  };
}

async function probeRuntimes(
  found: Partial<Record<RuntimeName, string>>,
  env: EnvLookup,
): Promise<RuntimeProbe[]> {
  const probes: RuntimeProbe[] = [];
  for (const name of RUNTIME_NAMES) {
    const path = found[name];
    if (path === undefined) continue;
    const version = await run(path, ["--version"], env);
    const probe: RuntimeProbe = {
      name,
      path,
      version: version.ok ? version.out.split("\n")[0]?.trim() : undefined,
      ...(version.ok ? {} : { error: version.out.trim().split("\n").at(-1) ?? "" }),
    };
    if (name === "youki" && version.ok) {
      const features = await run(path, ["features"], env);
      const cgroup = features.ok ? parseCgroupFeatures(features.stdout) : undefined;
      // A youki too old for `features` says nothing about its build: no verdict on it.
      if (cgroup !== undefined) {
        probe.features = {
          cgroupV1: cgroup.v1 === true,
          cgroupV2: cgroup.v2 === true,
          systemd: cgroup.systemd === true,
          seccomp: /^libseccomp:\s*(\S+)/m.exec(version.out)?.[1],
        };
      }
    }
    probes.push(probe);
  }
  return probes;
}

function parseCgroupFeatures(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text)?.linux?.cgroup;
  } catch {
    return undefined;
  }
}

async function run(
  path: string,
  args: string[],
  env: EnvLookup,
): Promise<{ ok: boolean; out: string; stdout: string }> {
  try {
    const output = await new Deno.Command(path, {
      args,
      env: runtimeEnv(env),
      clearEnv: true,
      stdin: "null",
      signal: AbortSignal.timeout(10_000),
    }).output();
    const decoder = new TextDecoder();
    const stdout = decoder.decode(output.stdout);
    return { ok: output.success, out: stdout + decoder.decode(output.stderr), stdout };
  } catch (error) {
    return { ok: false, out: (error as Error).message, stdout: "" };
  }
}

async function readRootReach(options: DoctorOptions): Promise<ReachFinding[]> {
  const { env, uid } = options;
  const cache = await inspectRootfs({ env, uid }).then((r) => r.cachePath, () => undefined);
  // The program and its sources are not checked: serve copies them into root's cache when
  // uid 65532 cannot reach them where they are.
  const targets: [string, string, PathUse][] = [
    ...(cache ? [["the rootfs cache", cache, "read"] as [string, string, PathUse]] : []),
    ["the state dir", openshellDir("state", env, uid), "search"],
    ["the bundles dir", join(openshellDir("runtime", env, uid), "bundles"), "search"],
  ];
  const who = { uid: ROOT_MODE_HOST_ID, gid: ROOT_MODE_HOST_ID };
  const findings: ReachFinding[] = [];
  for (const [role, path, use] of targets) {
    const { steps, complete } = await existingSteps(path);
    findings.push({ role, path, blocker: reachBlocker(steps, who, complete ? use : "search") });
  }
  return findings;
}

/**
 * The steps down to `path`, or to its deepest existing ancestor when it does not exist yet
 * (what serve creates below is made reachable by it), and whether they reach `path` itself.
 */
async function existingSteps(path: string): Promise<{ steps: PathStep[]; complete: boolean }> {
  for (let at = resolve(path);; at = dirname(at)) {
    const steps = await pathSteps(at).catch(() => undefined);
    if (steps !== undefined) return { steps, complete: at === resolve(path) };
    if (at === "/") return { steps: [], complete: false };
  }
}

async function readRuntimeDir(env: EnvLookup, uid: number): Promise<DoctorFacts["runtimeDir"]> {
  const variable = env("XDG_RUNTIME_DIR") || undefined;
  const choice = runtimeDirChoice(env, uid);
  const used = uid !== 0 && variable !== undefined && choice.ignored === undefined;
  const info = used ? await Deno.stat(variable).catch(() => undefined) : undefined;
  return {
    variable,
    openshellDir: choice.path,
    ignored: choice.ignored,
    mode: info?.mode ?? undefined,
  };
}

/** The limits serve launches with by default, as a launch by `runtime` would apply them here. */
async function readLimits(
  uid: number,
  runtime: RuntimeName | undefined,
): Promise<DoctorFacts["limits"]> {
  if (runtime === undefined) return undefined;
  const wanted = serveLimits(SERVE_DEFAULTS);
  return await planLimits(wanted, { runtime, uid, leaf: "openshell-doctor" })
    .catch((error: Error) => error.message);
}

async function readRootfs(options: DoctorOptions): Promise<DoctorFacts["rootfs"]> {
  const { env, uid } = options;
  const none = { cachePath: undefined, cached: false, intact: false, closureMissing: [] };
  let manifest;
  const source = imageSource(env);
  try {
    manifest = await loadManifest(source);
    await checkTarball(await readTarball(source, manifest), manifest, source);
  } catch (error) {
    return {
      digest: manifest?.tarball.sha256,
      size: manifest?.tarball.size,
      imageProblem: (error as Error).message,
      ...none,
    };
  }
  const inspection = await inspectRootfs({ env, uid });
  const entry = join(inspection.cachePath, "..");
  const cached = await Deno.stat(entry).then(() => true, () => false);
  const closure = inspection.unpacked
    ? await verifyClosure(inspection.cachePath, options.binary)
    : { missing: [] };
  return {
    digest: inspection.digest,
    size: inspection.size,
    imageProblem: undefined,
    cachePath: inspection.cachePath,
    cached,
    intact: inspection.unpacked,
    closureMissing: closure.missing,
  };
}

async function readRegistry(env: EnvLookup, uid: number): Promise<DoctorFacts["registry"]> {
  let ignoredSystemDir: string | undefined;
  const roots = registryRoots(env, uid, (message) => (ignoredSystemDir = message));
  const listing = await listGateways(roots, { all: true });
  const shadowed = listing.entries.filter((e) => e.shadowed).map((e) => ({
    name: e.name,
    systemPath: e.metadataPath,
    userPath: e.shadows ?? "",
  }));
  let active: { name: string; source: string } | undefined;
  let activeProblem: string | undefined;
  try {
    const resolved = await resolveActiveGateway(roots, {
      env: env("OPENSHELL_GATEWAY"),
      warn: (message) => (activeProblem ??= message),
    });
    if (resolved !== undefined) {
      const found = await readGatewayMetadata(roots, resolved.name);
      const why = {
        flag: "-g/--gateway",
        env: "OPENSHELL_GATEWAY",
        user: "your active_gateway file",
        system: "the system's active_gateway file",
      }[resolved.reason];
      active = { name: resolved.name, source: `${found.source} entry, chosen by ${why}` };
    }
  } catch (error) {
    activeProblem = (error as Error).message;
  }
  return {
    problems: listing.problems.map((p) => ({ name: p.name, path: p.path, message: p.message })),
    active,
    activeProblem,
    shadowed,
    systemRoot: roots.system,
    ignoredSystemDir,
  };
}

async function readListen(
  listen: { hostname: string; port: number },
  uid: number,
): Promise<DoctorFacts["listen"]> {
  const address = `${listen.hostname}:${listen.port}`;
  try {
    checkAddressFree(listen);
    return { address, problem: undefined };
  } catch (error) {
    const served = (await listServed(uid)).find((record) =>
      new URL(record.url).port === String(listen.port)
    )?.name;
    const by = served === undefined ? "" : ` (by gateway "${served}", served here)`;
    return { address, problem: `${(error as Error).message}${by}` };
  }
}
