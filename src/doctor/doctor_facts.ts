import type { CgroupFacts, LimitPlan, RuntimeName, UserNamespaceFacts } from "../runtime/mod.ts";
import type { DoctorRuntimeChoice } from "./_serve_runtime.ts";

/** One OCI runtime found on this host and what it says about itself. */
export interface RuntimeProbe {
  name: RuntimeName;
  path: string;
  /** The version line, or `undefined` when `--version` failed (see `error`). */
  version: string | undefined;
  error?: string;
  /** youki's compiled cgroup managers and seccomp support, from `youki features`/`--version`. */
  features?: {
    cgroupV1: boolean;
    cgroupV2: boolean;
    systemd: boolean;
    seccomp: string | undefined;
  };
}

/** A path a root launch mounts, and the first step uid 65532 cannot pass. */
export interface ReachFinding {
  /** What the path is for (`the program`, `the rootfs cache`, ...). */
  role: string;
  path: string;
  blocker: { path: string; why: string } | undefined;
}

/** Everything `doctor` reads from the host, before any verdict. */
export interface DoctorFacts {
  uid: number;
  userNamespaces: UserNamespaceFacts;
  cgroups: CgroupFacts;
  runtimes: RuntimeProbe[];
  /** The runtime `serve` would choose here, from the function serve uses. */
  choice: DoctorRuntimeChoice;
  /** `OPENSHELL_OCI_RUNTIME` when set: serve then runs that executable. */
  runtimeOverride: string | undefined;
  /** The sentence naming each runtime's install command for this program. */
  installCommands: Record<RuntimeName, string>;
  /**
   * Where serve's runtime would put the container's cgroup and which of serve's default
   * limits apply there, by serve's own reading; `undefined` when no runtime can run, or why
   * it cannot be read.
   */
  limits: LimitPlan | string | undefined;
  /** For root: each mount source as uid 65532 sees it; empty for other users. */
  rootReach: ReachFinding[];
  runtimeDir: {
    /** `XDG_RUNTIME_DIR` as set, or `undefined`. */
    variable: string | undefined;
    /** Where openshell keeps bundles and runtime state (serve's own rule). */
    openshellDir: string;
    /** Why `XDG_RUNTIME_DIR` is not used, when it is set and is not. */
    ignored: string | undefined;
    /** The mode of `XDG_RUNTIME_DIR` when it is used. */
    mode: number | undefined;
  };
  rootfs: {
    digest: string | undefined;
    size: number | undefined;
    /** Why the image or its manifest cannot be used, or `undefined` when it matches. */
    imageProblem: string | undefined;
    cachePath: string | undefined;
    /** The cache entry directory exists. */
    cached: boolean;
    /** The entry is complete and unchanged. */
    intact: boolean;
    /** What the program needs that the entry lacks (checked only when intact). */
    closureMissing: string[];
  };
  registry: {
    problems: { name: string; path: string; message: string }[];
    active: { name: string; source: string } | undefined;
    /** Why the active gateway cannot be used (named but not registered, invalid). */
    activeProblem: string | undefined;
    shadowed: { name: string; userPath: string; systemPath: string }[];
    systemRoot: string;
    /** The warning about an ignored `OPENSHELL_SYSTEM_GATEWAY_DIR`, when it was ignored. */
    ignoredSystemDir: string | undefined;
  };
  listen: { address: string; problem: string | undefined };
}
