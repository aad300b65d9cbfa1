/**
 * The OCI `config.json` for the gateway container, as a pure function of what the launch
 * decided: who the container's root maps to, where the rootfs, state, secrets and program
 * are on the host, which cgroup to use and which resource limits the caller may grant.
 *
 * @module
 */
import { isAbsolute } from "../path/mod.ts";
import {
  CONTAINER_ENV,
  CONTAINER_PATHS,
  gatewayArgs,
  gatewayDenoFlags,
  tlsSecretPaths,
} from "../contract/mod.ts";
import { EMITTED_DIR } from "./gateway_deno_dir.ts";
import type { SeccompProfile } from "./seccomp_profile.ts";

// Re-exported: the OCI config's callers read the container's facts beside it.

/** The resource limits a config may set; names as in OCI. */
export type RlimitType = "RLIMIT_NOFILE" | "RLIMIT_CORE";

/** Hard limits of the launching process (`Infinity` for unlimited). */
export type HardLimits = Partial<Record<RlimitType, number>>;

/** The limits the gateway asks for; each is clamped to the caller's hard limit. */
const WANTED_RLIMITS: Readonly<Record<RlimitType, number>> = {
  RLIMIT_NOFILE: 65536,
  RLIMIT_CORE: 0,
};

/** Everything {@linkcode buildOciConfig} decides from. */
export interface GatewayContainerSpec {
  /** The gateway name (used for the hostname and reported by the gateway). */
  name: string;
  /** `HOST:PORT` the gateway listens on (host network: no network namespace). */
  listen: string;
  /** The program version the gateway reports. */
  version: string;
  /** The host uid and gid the container's uid/gid 0 maps to. */
  hostUid: number;
  hostGid: number;
  /** Absolute host path of the read-only rootfs. */
  rootfs: string;
  /** Absolute host path of the gateway's state dir (bound read-write). */
  stateDir: string;
  /** Absolute host path of the staged secrets dir (bound read-only). */
  secretsDir: string;
  /** Whether the secrets dir holds the TLS files of a gateway served with mTLS. */
  tls?: boolean;
  /** Absolute host path of the openshell program (the deno binary under `deno run`). */
  binary: string;
  /** Absolute host path of the project's `src/` when running under `deno run`; absent for a compiled binary. */
  sourceDir?: string;
  /**
   * The gateway's Deno cache made ahead (see `gateway_deno_dir.ts`), as absolute host paths:
   * this start's writable part, bound read-write as its `DENO_DIR`, and the template's emitted
   * JavaScript, bound read-only inside it; absent: an empty cache on the container's `/tmp`.
   */
  denoDir?: { writable: string; emitted: string } | undefined;
  /**
   * Absolute cgroup path: the caller's cgroup plus a per-launch leaf; `undefined` leaves it
   * out (only for runtimes that then pick a per-container path, never the caller's own).
   */
  cgroupsPath: string | undefined;
  /** The launcher's hard limits; the config never exceeds them. */
  hardLimits: HardLimits;
  /** The seccomp profile; `undefined` runs unconfined (debugging only). */
  seccomp: SeccompProfile | undefined;
  /** Cgroup limits the launch can apply (an empty object sets none). */
  resources: ContainerResources;
  /** The challenge whose proof the gateway writes on stderr once it listens (`--ready-challenge`). */
  readyChallenge?: string;
}

/** The cgroup limits of the container, each optional. */
export interface ContainerResources {
  /** Memory limit in bytes. */
  memoryBytes?: number;
  /** Most tasks (processes and threads) at once. */
  pids?: number;
  /** CPU time as a number of CPUs (CFS quota over a 100 ms period). */
  cpus?: number;
}

/** The OCI `linux.resources` subset written. */
export interface OciResources {
  memory?: { limit: number };
  pids?: { limit: number };
  cpu?: { quota: number; period: number };
}

/** The CFS period the CPU quota is measured against, in microseconds. */
const CPU_PERIOD_US = 100_000;

/** An OCI mount entry. */
export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** The subset of the OCI runtime config this project writes. */
export interface OciConfig {
  ociVersion: string;
  process: {
    terminal: boolean;
    user: { uid: number; gid: number };
    args: string[];
    env: string[];
    cwd: string;
    capabilities: Record<
      "bounding" | "effective" | "permitted" | "inheritable" | "ambient",
      string[]
    >;
    rlimits: { type: RlimitType; hard: number; soft: number }[];
    noNewPrivileges: boolean;
  };
  root: { path: string; readonly: boolean };
  hostname: string;
  mounts: OciMount[];
  linux: {
    uidMappings: { containerID: number; hostID: number; size: number }[];
    gidMappings: { containerID: number; hostID: number; size: number }[];
    namespaces: { type: string }[];
    cgroupsPath?: string;
    resources?: OciResources;
    seccomp?: SeccompProfile;
    maskedPaths: string[];
    readonlyPaths: string[];
  };
}

const MASKED_PATHS = [
  "/proc/acpi",
  "/proc/asound",
  "/proc/kcore",
  "/proc/keys",
  "/proc/latency_stats",
  "/proc/timer_list",
  "/proc/timer_stats",
  "/proc/sched_debug",
  "/proc/scsi",
  "/sys/firmware",
  "/sys/devices/virtual/powercap",
];

const READONLY_PATHS = [
  "/proc/bus",
  "/proc/fs",
  "/proc/irq",
  "/proc/sys",
  "/proc/sysrq-trigger",
];

/**
 * Builds the gateway's OCI runtime config. User, mount, pid, ipc and uts namespaces and no
 * network namespace (the gateway listens on host loopback); container 0:0 mapped to one host
 * id; a read-only root with tmpfs `/dev` and `/tmp`; no `/sys` and no cgroup mount; no
 * capabilities and `noNewPrivileges`; rlimits clamped to the caller's hard limits.
 *
 * @throws {RangeError} when a path is not absolute, a host id is invalid, or the cgroup
 *   path is empty, `/` or relative.
 * @example
 * ```ts
 * import { buildOciConfig, seccompProfile } from "./mod.ts";
 * const config = buildOciConfig({
 *   name: "local",
 *   listen: "127.0.0.1:8090",
 *   version: "0.1.0",
 *   hostUid: 1000,
 *   hostGid: 1000,
 *   rootfs: "/var/cache/openshell/rootfs/3f2a/rootfs",
 *   stateDir: "/home/ada/.local/state/openshell/gateways/local",
 *   secretsDir: "/run/user/1000/openshell/bundles/openshell-local-1a2b3c4d/secrets",
 *   binary: "/usr/bin/openshell",
 *   cgroupsPath: "/user.slice/user-1000.slice/openshell-local-1a2b3c4d",
 *   hardLimits: { RLIMIT_NOFILE: 524288 },
 *   seccomp: seccompProfile(),
 *   resources: {},
 * });
 * config.process.user; // { uid: 0, gid: 0 }
 * ```
 */
export function buildOciConfig(spec: GatewayContainerSpec): OciConfig {
  const hostPaths = {
    rootfs: spec.rootfs,
    stateDir: spec.stateDir,
    secretsDir: spec.secretsDir,
    binary: spec.binary,
    sourceDir: spec.sourceDir,
    denoDir: spec.denoDir?.writable,
    emitted: spec.denoDir?.emitted,
  };
  for (const [key, value] of Object.entries(hostPaths)) {
    if (value !== undefined && !isAbsolute(value)) {
      throw new RangeError(`Path "${key}" must be absolute: "${value}"`);
    }
  }
  const cgroup = spec.cgroupsPath;
  if (
    cgroup !== undefined &&
    (!cgroup.startsWith("/") || /^\/+$/.test(cgroup) || cgroup.split("/").includes(".."))
  ) {
    // Empty or "/" would make the runtime treat the caller's own cgroup as the container's.
    throw new RangeError(`Invalid cgroups path "${cgroup}": must be an absolute path below "/"`);
  }
  for (const id of [spec.hostUid, spec.hostGid]) {
    if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`Invalid host id "${id}"`);
  }
  const paths = {
    stateDir: CONTAINER_PATHS.state,
    tokenFile: CONTAINER_PATHS.tokenFile,
    tls: spec.tls ? tlsSecretPaths(CONTAINER_PATHS.secrets) : undefined,
  };
  const rlimits = clampRlimits(WANTED_RLIMITS, spec.hardLimits);
  const openFiles = rlimits.find((limit) => limit.type === "RLIMIT_NOFILE")?.soft;
  const args = gatewayArgs({
    name: spec.name,
    listen: spec.listen,
    version: spec.version,
    ...paths,
    ...(openFiles === undefined ? {} : { openFiles }),
    ...(spec.readyChallenge === undefined ? {} : { readyChallenge: spec.readyChallenge }),
  });
  const argv = spec.sourceDir === undefined ? [CONTAINER_PATHS.binary, "__gateway", ...args] : [
    CONTAINER_PATHS.binary,
    "run",
    ...gatewayDenoFlags(spec.listen, paths, CONTAINER_PATHS.source),
    CONTAINER_PATHS.serverEntry,
    ...args,
  ];
  const mounts: OciMount[] = [
    { destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"] },
    {
      destination: "/dev",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "strictatime", "mode=755", "size=65536k"],
    },
    {
      destination: "/dev/pts",
      type: "devpts",
      source: "devpts",
      options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"],
    },
    {
      destination: "/dev/shm",
      type: "tmpfs",
      source: "shm",
      options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
    },
    {
      destination: "/tmp",
      type: "tmpfs",
      source: "tmpfs",
      options: ["nosuid", "nodev", "mode=1777", "size=262144k"],
    },
    bind(CONTAINER_PATHS.state, spec.stateDir, ["rw", "noexec"]),
    bind(CONTAINER_PATHS.secrets, spec.secretsDir, ["ro", "noexec"]),
    bind(CONTAINER_PATHS.binary, spec.binary, ["ro"]),
  ];
  if (spec.sourceDir !== undefined) {
    mounts.push(bind(CONTAINER_PATHS.source, spec.sourceDir, ["ro", "noexec"]));
  }
  if (spec.denoDir !== undefined) {
    mounts.push(
      bind(CONTAINER_PATHS.denoDir, spec.denoDir.writable, ["rw", "noexec"]),
      bind(`${CONTAINER_PATHS.denoDir}/${EMITTED_DIR}`, spec.denoDir.emitted, ["ro", "noexec"]),
    );
  }
  const resources = ociResources(spec.resources);
  const mapping = (hostID: number) => [{ containerID: 0, hostID, size: 1 }];
  return {
    ociVersion: "1.0.2",
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: argv,
      env: [...CONTAINER_ENV],
      cwd: "/",
      capabilities: { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] },
      rlimits,
      noNewPrivileges: true,
    },
    root: { path: spec.rootfs, readonly: true },
    hostname: `openshell-${spec.name}`.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 63),
    mounts,
    linux: {
      uidMappings: mapping(spec.hostUid),
      gidMappings: mapping(spec.hostGid),
      namespaces: ["user", "mount", "pid", "ipc", "uts"].map((type) => ({ type })),
      ...(cgroup === undefined ? {} : { cgroupsPath: cgroup }),
      ...(Object.keys(resources).length === 0 ? {} : { resources }),
      ...(spec.seccomp === undefined ? {} : { seccomp: spec.seccomp }),
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
}

/**
 * The OCI form of the container's limits.
 *
 * @throws {RangeError} when a limit is not a positive number (whole for memory and pids).
 * @example
 * ```ts
 * import { ociResources } from "./mod.ts";
 * ociResources({ memoryBytes: 536870912, pids: 512, cpus: 1.5 });
 * // { memory: { limit: 536870912 }, pids: { limit: 512 }, cpu: { quota: 150000, period: 100000 } }
 * ```
 */
export function ociResources(limits: ContainerResources): OciResources {
  const result: OciResources = {};
  const whole = (value: number, what: string) => {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(`Invalid ${what} limit "${value}"`);
    }
    return value;
  };
  if (limits.memoryBytes !== undefined) {
    result.memory = { limit: whole(limits.memoryBytes, "memory") };
  }
  if (limits.pids !== undefined) result.pids = { limit: whole(limits.pids, "pids") };
  if (limits.cpus !== undefined) {
    const quota = Math.round(limits.cpus * CPU_PERIOD_US);
    // The kernel's smallest quota is 1 ms.
    if (!Number.isFinite(quota) || quota < 1000) {
      throw new RangeError(`Invalid cpus limit "${limits.cpus}"`);
    }
    result.cpu = { quota, period: CPU_PERIOD_US };
  }
  return result;
}

function bind(destination: string, source: string, extra: string[]): OciMount {
  return {
    destination,
    type: "bind",
    source,
    options: ["rbind", "nosuid", "nodev", ...extra],
  };
}

/**
 * Clamps wanted limits to the caller's hard limits: raising a hard limit above the caller's
 * makes the runtime fail with EPERM. A limit the caller's table lacks is left out.
 *
 * @example
 * ```ts
 * import { clampRlimits } from "./oci_config.ts";
 * clampRlimits({ RLIMIT_NOFILE: 65536 }, { RLIMIT_NOFILE: 20000 });
 * // [{ type: "RLIMIT_NOFILE", hard: 20000, soft: 20000 }]
 * ```
 */
export function clampRlimits(
  wanted: Partial<Record<RlimitType, number>>,
  hardLimits: HardLimits,
): { type: RlimitType; hard: number; soft: number }[] {
  const result: { type: RlimitType; hard: number; soft: number }[] = [];
  for (const [type, value] of Object.entries(wanted) as [RlimitType, number][]) {
    const callerHard = hardLimits[type];
    if (callerHard === undefined) continue;
    const limit = Math.min(value, callerHard);
    result.push({ type, hard: limit, soft: limit });
  }
  return result;
}
