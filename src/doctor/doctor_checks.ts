import { fillIn, programCommand } from "../errors/mod.ts";
import type { DoctorFacts, RuntimeProbe } from "./doctor_facts.ts";
import type { ContainerResources } from "../container/mod.ts";
import {
  READ_ONLY_CGROUPS,
  RUNTIME_NAMES,
  skippedLimitsWarning,
  userNamespacesAllowed,
} from "../runtime/mod.ts";

/** How one check came out: `fail` means `serve` cannot run here until it is fixed. */
export type CheckStatus = "ok" | "warn" | "fail";

/** One line of `doctor`: what was checked, what was found, and the fix when not ok. */
export interface DoctorCheck {
  check: string;
  status: CheckStatus;
  found: string;
  /** The command to run or file to change; `null` when the check is ok. */
  remedy: string | null;
}

const DELEGATION_RECIPE =
  "Run serve with `--runtime runc`, or have root delegate a cgroup subtree to you in every " +
  'v1 controller and start serve inside it (README: "Rootless youki on cgroup v1/hybrid hosts")';

const ok = (check: string, found: string): DoctorCheck => ({
  check,
  status: "ok",
  found,
  remedy: null,
});
const notOk = (
  check: string,
  status: "warn" | "fail",
  found: string,
  remedy: string,
): DoctorCheck => ({ check, status, found, remedy });

/**
 * The verdicts on the host facts, one per check, in a fixed order.
 *
 * @example
 * ```ts
 * import { type DoctorFacts, doctorChecks } from "./mod.ts";
 * function failures(facts: DoctorFacts): string[] {
 *   const checks = doctorChecks(facts);
 *   return checks.filter((c) => c.status === "fail").map((c) => `${c.check}: ${c.found}`);
 * }
 * ```
 */
export function doctorChecks(facts: DoctorFacts): DoctorCheck[] {
  return [
    userNamespaceCheck(facts),
    layoutCheck(facts),
    delegationCheck(facts),
    ...RUNTIME_NAMES.map((name) => runtimeCheck(facts, name)),
    choiceCheck(facts),
    limitsCheck(facts),
    ...reachChecks(facts),
    runtimeDirCheck(facts),
    ...rootfsChecks(facts),
    ...registryChecks(facts),
    listenCheck(facts),
  ];
}

/** Whether `serve` can run given these checks: none failed. */
export function canServe(checks: readonly DoctorCheck[]): boolean {
  return checks.every((c) => c.status !== "fail");
}

function userNamespaceCheck({ uid, userNamespaces: u }: DoctorFacts): DoctorCheck {
  const parts = [
    `user.max_user_namespaces=${u.maxUserNamespaces ?? "absent"}`,
    u.unprivilegedClone === undefined
      ? "kernel.unprivileged_userns_clone absent (not a Debian-patched kernel)"
      : `kernel.unprivileged_userns_clone=${u.unprivilegedClone}`,
  ];
  const found = parts.join(", ");
  // Root needs only the namespace limit; the clone switch binds unprivileged users.
  if (uid === 0 ? u.maxUserNamespaces !== 0 : userNamespacesAllowed(u)) {
    return ok("user namespaces", found);
  }
  const fixes: string[] = [];
  if (u.maxUserNamespaces === 0) fixes.push("`sysctl -w user.max_user_namespaces=15000`");
  if (uid !== 0 && u.unprivilegedClone === 0) {
    fixes.push("`sysctl -w kernel.unprivileged_userns_clone=1`");
  }
  return notOk(
    "user namespaces",
    "fail",
    `${found}: ${
      uid === 0
        ? "no user namespace can be created"
        : "unprivileged users cannot create user namespaces"
    }`,
    `As root: ${fixes.join(" and ")} (persist it in /etc/sysctl.d/)`,
  );
}

function layoutCheck({ cgroups }: DoctorFacts): DoctorCheck {
  const v1 = cgroups.access.map((a) => a.controller);
  const found = cgroups.layout === "unified"
    ? "unified: cgroup v2 only, at /sys/fs/cgroup"
    : cgroups.layout === "hybrid"
    ? `hybrid: cgroup v1 controllers (${v1.join(", ")}) with cgroup2 at /sys/fs/cgroup/unified`
    : `legacy: cgroup v1 controllers only (${v1.join(", ")})`;
  return ok("cgroup layout", found);
}

function delegationCheck({ uid, cgroups }: DoctorFacts): DoctorCheck {
  const check = "cgroup delegation";
  const may = cgroups.access.filter((a) => a.writable).map((a) => a.controller);
  const mayNot = cgroups.access.filter((a) => !a.writable).map((a) => a.controller);
  const where = cgroups.access[0]?.dir ?? "/sys/fs/cgroup";
  if (uid === 0) {
    if (cgroups.layout === "unified") return ok(check, "root may create cgroups on cgroup2");
    if (mayNot.length === 0) return ok(check, `root may create cgroups in ${may.join(", ")}`);
    return notOk(
      check,
      "fail",
      `the v1 controllers ${mayNot.join(", ")} are read-only here: root cannot create cgroups ` +
        "in them",
      READ_ONLY_CGROUPS.remedy,
    );
  }
  if (cgroups.layout === "unified") {
    return ok(
      check,
      `${may.length > 0 ? "delegated" : "not delegated"} (${where}); rootless runtimes need ` +
        "no delegation on cgroup2",
    );
  }
  if (mayNot.length === 0 && may.length > 0) {
    return ok(check, `delegated: you may create cgroups in ${may.join(", ")} (${where})`);
  }
  const found = may.length === 0
    ? `not delegated: you may not create cgroups in any v1 controller (${mayNot.join(", ")}) ` +
      `below ${where}; youki needs delegation here, runc runs without`
    : `partly delegated: you may create cgroups in ${may.join(", ")} but not in ` +
      `${mayNot.join(", ")}; youki needs all of them, runc runs without`;
  return notOk(check, "warn", found, DELEGATION_RECIPE);
}

function runtimeCheck(facts: DoctorFacts, name: (typeof RUNTIME_NAMES)[number]): DoctorCheck {
  const check = `runtime ${name}`;
  const probe = facts.runtimes.find((r) => r.name === name);
  if (probe === undefined) {
    if (name === "youki") {
      return notOk(
        check,
        "warn",
        "not installed (the default runtime)",
        facts.installCommands[name],
      );
    }
    const found = name === "crun"
      ? "not installed (optional; crun refuses cgroup v1/hybrid hosts)"
      : "not installed (optional fallback)";
    if (facts.choice.runtime !== undefined) return ok(check, found);
    return notOk(check, "warn", found, facts.installCommands[name]);
  }
  if (probe.version === undefined) {
    return notOk(
      check,
      "warn",
      `${probe.path}: does not run: ${probe.error ?? "no version"}`,
      facts.installCommands[name],
    );
  }
  const found = `${probe.path}, ${probe.version}${featureText(probe)}`;
  const f = probe.features;
  if (name === "youki" && f !== undefined && facts.cgroups.layout !== "unified" && !f.cgroupV1) {
    return notOk(
      check,
      "warn",
      `${found}: built without the v1 cgroup manager this ${facts.cgroups.layout} host needs`,
      facts.installCommands.youki,
    );
  }
  if (name === "youki" && f !== undefined && facts.cgroups.layout === "unified" && !f.cgroupV2) {
    return notOk(
      check,
      "warn",
      `${found}: built without the v2 cgroup manager this host needs`,
      facts.installCommands.youki,
    );
  }
  if (name === "crun" && facts.cgroups.layout !== "unified") {
    return ok(check, `${found} (refuses this ${facts.cgroups.layout} host; not chosen)`);
  }
  return ok(check, found);
}

function featureText(probe: RuntimeProbe): string {
  const f = probe.features;
  if (f === undefined) return "";
  const list = [
    ...(f.cgroupV1 ? ["cgroup v1"] : []),
    ...(f.cgroupV2 ? ["cgroup v2"] : []),
    ...(f.systemd ? ["systemd cgroups"] : []),
    ...(f.seccomp ? [`seccomp (libseccomp ${f.seccomp})`] : []),
  ];
  return `, features: ${list.length > 0 ? list.join(", ") : "none"}`;
}

function choiceCheck({ choice, runtimeOverride }: DoctorFacts): DoctorCheck {
  const check = "runtime choice";
  if (runtimeOverride !== undefined && runtimeOverride !== "") {
    return ok(check, `serve runs OPENSHELL_OCI_RUNTIME=${runtimeOverride} as its runtime`);
  }
  if (choice.runtime === undefined) {
    return notOk(check, "fail", `no runtime can run here: ${choice.reason}`, choice.remedy);
  }
  return ok(check, `serve would use ${choice.runtime} (${choice.path}): ${choice.reason}`);
}

function reachChecks({ uid, rootReach }: DoctorFacts): DoctorCheck[] {
  const check = "root launch paths";
  if (uid !== 0) return [ok(check, "not needed: the container runs as you")];
  const blocked = rootReach.filter((r) => r.blocker !== undefined);
  if (blocked.length === 0) {
    return [
      ok(check, `uid 65532 reaches ${rootReach.map((r) => `${r.role} (${r.path})`).join(", ")}`),
    ];
  }
  return blocked.map((r) =>
    notOk(
      check,
      "fail",
      `uid 65532 cannot reach ${r.role} "${r.path}": "${r.blocker!.path}" has ${r.blocker!.why}`,
      `\`chmod o+x '${r.blocker!.path}'\`, or move ${r.role} to a directory uid 65532 can traverse`,
    )
  );
}

function runtimeDirCheck({ uid, runtimeDir: d }: DoctorFacts): DoctorCheck {
  const check = "runtime dir";
  if (uid === 0) {
    return ok(check, `as root serve uses ${d.openshellDir}, whatever XDG_RUNTIME_DIR says`);
  }
  if (d.ignored !== undefined) {
    return notOk(
      check,
      "warn",
      `${d.ignored}: not a private runtime dir, so serve uses ${d.openshellDir}`,
      "`unset XDG_RUNTIME_DIR`, or point it at a directory of yours no one else can write",
    );
  }
  if (d.variable === undefined) {
    return ok(check, `XDG_RUNTIME_DIR unset: serve uses ${d.openshellDir}`);
  }
  const mode = ((d.mode ?? 0) & 0o7777).toString(8).padStart(4, "0");
  if (((d.mode ?? 0) & 0o077) !== 0) {
    return notOk(
      check,
      "warn",
      `XDG_RUNTIME_DIR ${d.variable} is mode ${mode}: other users can look into it; serve ` +
        `uses ${d.openshellDir}`,
      `\`chmod 0700 '${d.variable}'\``,
    );
  }
  return ok(
    check,
    `XDG_RUNTIME_DIR ${d.variable}: yours, mode ${mode}; serve uses ${d.openshellDir}`,
  );
}

/**
 * The limits serve's defaults ask for, judged as serve's launch judges them: the same
 * decision and the same warning serve prints when some cannot apply.
 */
function limitsCheck({ limits: plan }: DoctorFacts): DoctorCheck {
  const check = "resource limits";
  if (plan === undefined) return ok(check, "not judged: no runtime can run here");
  if (typeof plan === "string") {
    return notOk(check, "warn", `cannot tell: ${plan}`, "Run serve and read its warnings");
  }
  const warning = skippedLimitsWarning(plan.decision);
  const applied = limitText(plan.decision.applied);
  if (warning === undefined) {
    return ok(check, `serve applies ${applied} (its defaults) to the container's cgroup`);
  }
  const also = applied === "" ? "" : `; it applies ${applied}`;
  return notOk(check, "warn", `${warning}${also}`, plan.decision.remedy ?? "");
}

/** `--memory 512M, --pids 512` for the limits given. */
function limitText(limits: ContainerResources): string {
  const parts: string[] = [];
  if (limits.memoryBytes !== undefined) {
    const mib = limits.memoryBytes / 1024 ** 2;
    parts.push(`--memory ${Number.isInteger(mib) ? `${mib}M` : limits.memoryBytes}`);
  }
  if (limits.pids !== undefined) parts.push(`--pids ${limits.pids}`);
  if (limits.cpus !== undefined) parts.push(`--cpus ${limits.cpus}`);
  return parts.join(", ");
}

function rootfsChecks({ rootfs: r }: DoctorFacts): DoctorCheck[] {
  if (r.imageProblem !== undefined || r.digest === undefined) {
    return [
      notOk(
        "rootfs image",
        "fail",
        r.imageProblem ?? "no image",
        "Rebuild it with `deno task build:rootfs` (from source) or reinstall openshell",
      ),
    ];
  }
  const image = ok("rootfs image", `sha256 ${r.digest}, ${r.size} bytes, matches its manifest`);
  const check = "rootfs cache";
  if (!r.cached) {
    return [image, ok(check, `${r.cachePath} not unpacked yet; serve unpacks it on first use`)];
  }
  if (!r.intact) {
    return [
      image,
      notOk(
        check,
        "warn",
        `${r.cachePath} is damaged; serve rebuilds it`,
        `\`${programCommand("bundle", "gc", "--all")}\` then \`${
          programCommand("bundle", "unpack")
        }\``,
      ),
    ];
  }
  if (r.closureMissing.length > 0) {
    return [
      image,
      notOk(
        check,
        "fail",
        `${r.cachePath} lacks what the program needs: ${r.closureMissing.join(", ")}`,
        "Rebuild the image on a host like this one (`deno task build:rootfs`)",
      ),
    ];
  }
  return [image, ok(check, `${r.cachePath} exists and verifies`)];
}

/** One warning per item, or one ok line when there are none. */
function eachWarning<T>(
  check: string,
  items: readonly T[],
  none: string,
  warning: (item: T) => [found: string, remedy: string],
): DoctorCheck[] {
  if (items.length === 0) return [ok(check, none)];
  return items.map((item) => notOk(check, "warn", ...warning(item)));
}

function registryChecks({ registry: g }: DoctorFacts): DoctorCheck[] {
  const checks = eachWarning("registry files", g.problems, "every metadata file parses", (p) => [
    p.message,
    `Fix or remove "${p.path}" (\`${
      programCommand("gateway", "remove", p.name)
    }\` for a user entry)`,
  ]);
  checks.push(
    g.activeProblem !== undefined
      ? notOk(
        "active gateway",
        "warn",
        g.activeProblem,
        `\`${programCommand("gateway", "select", fillIn("<name>"))}\` (\`${
          programCommand("gateway", "list")
        }\` shows the names)`,
      )
      : ok(
        "active gateway",
        g.active === undefined ? "none selected" : `${g.active.name} (${g.active.source})`,
      ),
  );
  checks.push(
    ...eachWarning("shadowed entries", g.shadowed, "none", (s) => [
      `your entry "${s.name}" (${s.userPath}) hides the system entry ${s.systemPath}`,
      `\`${programCommand("gateway", "remove", s.name)}\` to use the system entry, or keep yours`,
    ]),
  );
  checks.push(
    g.ignoredSystemDir === undefined ? ok("system registry dir", g.systemRoot) : notOk(
      "system registry dir",
      "warn",
      g.ignoredSystemDir,
      "`unset OPENSHELL_SYSTEM_GATEWAY_DIR`, or set it to an absolute path",
    ),
  );
  return checks;
}

function listenCheck({ listen }: DoctorFacts): DoctorCheck {
  if (listen.problem === undefined) return ok("listen port", `${listen.address} is free`);
  return notOk(
    "listen port",
    "warn",
    listen.problem,
    `Stop what listens on ${listen.address}, or serve elsewhere: \`${
      programCommand("serve", "--listen", fillIn("127.0.0.1:<port>"))
    }\``,
  );
}
