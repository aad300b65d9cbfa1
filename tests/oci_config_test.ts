import assert from "node:assert/strict";
import {
  buildOciConfig,
  clampRlimits,
  type GatewayContainerSpec,
  type HardLimits,
  ociResources,
} from "../src/container/oci_config.ts";
import { CONTAINER_ENV, ROOT_MODE_HOST_ID } from "../src/contract/mod.ts";
import { seccompProfile } from "../src/container/seccomp_profile.ts";
import { parseHardLimits } from "../src/runtime/_caller_limits.ts";
import { callerCgroup, containerCgroupsPath } from "../src/runtime/_cgroup_path.ts";

const base: GatewayContainerSpec = {
  name: "local",
  listen: "127.0.0.1:8090",
  version: "0.1.0",
  hostUid: 1000,
  hostGid: 1001,
  rootfs: "/cache/rootfs/sha256-abc",
  stateDir: "/state/gateways/local",
  secretsDir: "/run/bundle/secrets",
  binary: "/opt/deno/deno",
  sourceDir: "/src/openshell/src",
  cgroupsPath: "/user/a/openshell-local-1",
  hardLimits: { RLIMIT_NOFILE: 20000, RLIMIT_CORE: Infinity },
  seccomp: seccompProfile("x86_64"),
  resources: { memoryBytes: 512 * 1024 * 1024, pids: 512 },
};

Deno.test("namespaces: user, mount, pid, ipc, uts and never network or cgroup", () => {
  const config = buildOciConfig(base);
  assert.deepEqual(config.linux.namespaces.map((n) => n.type), [
    "user",
    "mount",
    "pid",
    "ipc",
    "uts",
  ]);
});

Deno.test("mappings: container 0:0 maps to exactly one host id, process runs as 0:0", () => {
  const rootless = buildOciConfig(base);
  assert.deepEqual(rootless.linux.uidMappings, [{ containerID: 0, hostID: 1000, size: 1 }]);
  assert.deepEqual(rootless.linux.gidMappings, [{ containerID: 0, hostID: 1001, size: 1 }]);
  const root = buildOciConfig({ ...base, hostUid: ROOT_MODE_HOST_ID, hostGid: ROOT_MODE_HOST_ID });
  assert.deepEqual(root.linux.uidMappings, [{ containerID: 0, hostID: 65532, size: 1 }]);
  assert.deepEqual(root.linux.gidMappings, [{ containerID: 0, hostID: 65532, size: 1 }]);
  assert.deepEqual(root.process.user, { uid: 0, gid: 0 });
  for (const bad of [-1, 1.5, NaN]) {
    assert.throws(() => buildOciConfig({ ...base, hostUid: bad }), /Invalid host id/);
    assert.throws(() => buildOciConfig({ ...base, hostGid: bad }), /Invalid host id/);
  }
});

Deno.test("root is the read-only rootfs itself, absolute", () => {
  assert.deepEqual(buildOciConfig(base).root, { path: "/cache/rootfs/sha256-abc", readonly: true });
  for (const key of ["rootfs", "stateDir", "secretsDir", "binary", "sourceDir"] as const) {
    assert.throws(
      () => buildOciConfig({ ...base, [key]: "relative/path" }),
      new RegExp(`Path "${key}" must be absolute`),
    );
  }
});

Deno.test("process: no capabilities, noNewPrivileges, no terminal, cwd /", () => {
  const { process } = buildOciConfig(base);
  assert.equal(process.noNewPrivileges, true);
  assert.equal(process.terminal, false);
  assert.equal(process.cwd, "/");
  for (const set of Object.values(process.capabilities)) assert.deepEqual(set, []);
  assert.deepEqual(Object.keys(process.capabilities).sort(), [
    "ambient",
    "bounding",
    "effective",
    "inheritable",
    "permitted",
  ]);
});

Deno.test("env: only fixed non-secret variables, PATH first", () => {
  const { env } = buildOciConfig(base).process;
  assert.deepEqual(env, [...CONTAINER_ENV]);
  assert.match(env[0]!, /^PATH=/);
  const names = env.map((e) => e.split("=")[0]);
  assert.deepEqual(names, ["PATH", "HOME", "DENO_DIR", "DENO_NO_UPDATE_CHECK", "NO_COLOR", "LANG"]);
  assert.ok(env.every((e) => !/TOKEN|SECRET|KEY|PASS/i.test(e)));
  assert.equal(env.find((e) => e.startsWith("DENO_DIR="))!, "DENO_DIR=/tmp/deno");
});

Deno.test("entrypoint under deno run: the bound binary runs the bound source with minimal permissions", () => {
  const { args } = buildOciConfig(base).process;
  assert.deepEqual(args, [
    "/usr/local/bin/openshell",
    "run",
    "--no-config",
    "--no-lock",
    "--cached-only",
    "--no-code-cache",
    "--no-prompt",
    "--unstable-lazy-dynamic-imports",
    "--allow-net=127.0.0.1:8090",
    "--allow-read=/usr/local/lib/openshell,/var/lib/openshell,/run/openshell/token",
    "--allow-write=/var/lib/openshell",
    "--allow-sys=uid",
    "/usr/local/lib/openshell/server/main.ts",
    "--name",
    "local",
    "--listen",
    "127.0.0.1:8090",
    "--state-dir",
    "/var/lib/openshell",
    "--token-file",
    "/run/openshell/token",
    "--version",
    "0.1.0",
    "--open-files",
    "20000",
  ]);
  assert.ok(!args.some((a) => a.includes("-A") || a === "--allow-all"));
});

Deno.test("a launch's ready challenge goes last on the gateway's command line, and only then", () => {
  const challenge = "5a".repeat(32);
  const { sourceDir: _, ...compiled } = base;
  for (const spec of [base, compiled]) {
    const args = buildOciConfig({ ...spec, readyChallenge: challenge }).process.args;
    assert.deepEqual(args.slice(-2), ["--ready-challenge", challenge]);
    assert.ok(!buildOciConfig(spec).process.args.includes("--ready-challenge"));
  }
});

Deno.test("entrypoint when compiled: the binary's __gateway verb, no source mount", () => {
  const { sourceDir: _, ...compiled } = base;
  const config = buildOciConfig(compiled);
  assert.deepEqual(config.process.args.slice(0, 3), [
    "/usr/local/bin/openshell",
    "__gateway",
    "--name",
  ]);
  assert.ok(!config.mounts.some((m) => m.destination === "/usr/local/lib/openshell"));
});

Deno.test("mounts: tmpfs /dev and /tmp, devpts without gid=, no sysfs, no cgroup", () => {
  const { mounts } = buildOciConfig(base);
  const by = (d: string) => mounts.find((m) => m.destination === d);
  assert.equal(by("/dev")?.type, "tmpfs");
  assert.equal(by("/tmp")?.type, "tmpfs");
  assert.equal(by("/proc")?.type, "proc");
  const devpts = by("/dev/pts")!;
  assert.equal(devpts.type, "devpts");
  assert.ok(!devpts.options.some((o) => o.startsWith("gid=") || o.startsWith("uid=")));
  for (const mount of mounts) {
    assert.ok(!mount.options.some((o) => /^[ug]id=/.test(o)), mount.destination);
    assert.notEqual(mount.type, "sysfs");
    assert.notEqual(mount.type, "cgroup");
    assert.notEqual(mount.type, "cgroup2");
    assert.ok(!mount.destination.startsWith("/sys"), mount.destination);
    assert.ok(mount.options.includes("nosuid"), mount.destination);
  }
  // A parent is mounted before its children.
  assert.ok(mounts.indexOf(by("/dev")!) < mounts.indexOf(devpts));
  assert.equal(new Set(mounts.map((m) => m.destination)).size, mounts.length);
});

Deno.test("mounts: state read-write, secrets, binary and source read-only binds", () => {
  const { mounts } = buildOciConfig(base);
  const by = (d: string) => mounts.find((m) => m.destination === d)!;
  const state = by("/var/lib/openshell");
  assert.equal(state.source, "/state/gateways/local");
  assert.ok(state.options.includes("rw") && state.options.includes("rbind"));
  assert.ok(state.options.includes("noexec"));
  for (
    const [destination, source, exec] of [
      ["/run/openshell", "/run/bundle/secrets", false],
      ["/usr/local/bin/openshell", "/opt/deno/deno", true],
      ["/usr/local/lib/openshell", "/src/openshell/src", false],
    ] as const
  ) {
    const mount = by(destination);
    assert.equal(mount.type, "bind");
    assert.equal(mount.source, source);
    assert.ok(mount.options.includes("ro"), destination);
    assert.ok(!mount.options.includes("rw"), destination);
    assert.equal(mount.options.includes("noexec"), !exec, destination);
  }
});

Deno.test("mounts: a Deno cache made ahead, its writable part over /tmp's, its emitted code read-only", () => {
  assert.equal(
    buildOciConfig(base).mounts.filter((m) => m.destination.startsWith("/tmp/deno")).length,
    0,
    "an empty cache on the /tmp tmpfs when none is given",
  );
  const denoDir = { writable: "/run/bundle/deno", emitted: "/run/deno-dir/0123/gen" };
  const { mounts } = buildOciConfig({ ...base, denoDir });
  const at = (destination: string) => mounts.findIndex((m) => m.destination === destination);
  // Each after the one it sits in.
  assert.ok(at("/tmp") < at("/tmp/deno") && at("/tmp/deno") < at("/tmp/deno/gen"));
  const writable = mounts[at("/tmp/deno")]!;
  const emitted = mounts[at("/tmp/deno/gen")]!;
  assert.equal(writable.source, "/run/bundle/deno");
  assert.equal(emitted.source, "/run/deno-dir/0123/gen");
  assert.ok(writable.options.includes("rw") && !writable.options.includes("ro"));
  assert.ok(emitted.options.includes("ro") && !emitted.options.includes("rw"));
  for (const mount of [writable, emitted]) {
    assert.equal(mount.type, "bind");
    for (const option of ["noexec", "nosuid", "nodev"]) assert.ok(mount.options.includes(option));
  }
  for (const key of ["writable", "emitted"] as const) {
    assert.throws(
      () => buildOciConfig({ ...base, denoDir: { ...denoDir, [key]: "relative/path" } }),
      /must be absolute: "relative\/path"/,
    );
  }
});

Deno.test("masked and read-only paths are the standard sets", () => {
  const { linux } = buildOciConfig(base);
  for (const path of ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"]) {
    assert.ok(linux.maskedPaths.includes(path), path);
  }
  assert.deepEqual(linux.readonlyPaths, [
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
  ]);
});

Deno.test("rlimits never exceed the caller's hard limits", () => {
  assert.deepEqual(buildOciConfig(base).process.rlimits, [
    { type: "RLIMIT_NOFILE", hard: 20000, soft: 20000 },
    { type: "RLIMIT_CORE", hard: 0, soft: 0 },
  ]);
  assert.deepEqual(clampRlimits({ RLIMIT_NOFILE: 65536 }, { RLIMIT_NOFILE: Infinity }), [
    { type: "RLIMIT_NOFILE", hard: 65536, soft: 65536 },
  ]);
  assert.deepEqual(clampRlimits({ RLIMIT_NOFILE: 65536 }, { RLIMIT_NOFILE: 1024 }), [
    { type: "RLIMIT_NOFILE", hard: 1024, soft: 1024 },
  ]);
  assert.deepEqual(clampRlimits({ RLIMIT_NOFILE: 65536 }, {}), []);
  for (const hard of [0, 1, 1023, 20000, 65535, 65536, 1 << 20, Infinity]) {
    for (
      const limit of clampRlimits({ RLIMIT_NOFILE: 65536, RLIMIT_CORE: 0 }, {
        RLIMIT_NOFILE: hard,
        RLIMIT_CORE: hard,
      })
    ) {
      assert.ok(limit.hard <= hard && limit.soft <= limit.hard, `${limit.type} ${hard}`);
      assert.ok(Number.isFinite(limit.hard), "JSON cannot carry Infinity");
    }
  }
  // The gateway is told the descriptor limit it gets, and sizes its connection cap by it.
  const openFiles = (hardLimits: HardLimits) => {
    const { args } = buildOciConfig({ ...base, hardLimits }).process;
    const at = args.indexOf("--open-files");
    return at < 0 ? undefined : args[at + 1];
  };
  assert.equal(openFiles({ RLIMIT_NOFILE: 1024 }), "1024");
  assert.equal(openFiles({ RLIMIT_NOFILE: Infinity }), "65536");
  assert.equal(openFiles({}), undefined);
  // The config serialises losslessly.
  const config = buildOciConfig({ ...base, hardLimits: { RLIMIT_NOFILE: Infinity } });
  assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
});

Deno.test("cgroupsPath is kept only when absolute and below /", () => {
  assert.equal(buildOciConfig(base).linux.cgroupsPath, "/user/a/openshell-local-1");
  for (const bad of ["", "/", "//", "relative/leaf", ":youki:x", "/a/../b"]) {
    assert.throws(() => buildOciConfig({ ...base, cgroupsPath: bad }), /Invalid cgroups path/, bad);
  }
});

Deno.test("hostname derives from the name, made a valid hostname", () => {
  assert.equal(buildOciConfig(base).hostname, "openshell-local");
  assert.equal(buildOciConfig({ ...base, name: "corp.dev_1" }).hostname, "openshell-corp-dev-1");
  assert.equal(buildOciConfig({ ...base, name: "x".repeat(80) }).hostname.length, 63);
});

Deno.test("parseHardLimits reads hard limits, unlimited as Infinity", () => {
  const table = [
    "Limit                     Soft Limit           Hard Limit           Units     ",
    "Max cpu time              unlimited            unlimited            seconds   ",
    "Max core file size        0                    unlimited            bytes     ",
    "Max processes             96551                96551                processes ",
    "Max open files            1024                 20000                files     ",
    "",
  ].join("\n");
  assert.deepEqual(parseHardLimits(table), { RLIMIT_CORE: Infinity, RLIMIT_NOFILE: 20000 });
  assert.deepEqual(parseHardLimits(""), {});
  assert.throws(() => parseHardLimits("Max open files  1024  lots  files"), SyntaxError);
});

Deno.test("parseHardLimits reads this process's real table", async () => {
  const limits = parseHardLimits(await Deno.readTextFile("/proc/self/limits"));
  assert.ok(limits.RLIMIT_NOFILE! > 0);
  assert.ok("RLIMIT_CORE" in limits);
});

Deno.test("callerCgroup: memory path on v1/hybrid, 0:: path on unified", () => {
  const hybrid = [
    "9:name=systemd:/",
    "8:pids:/p",
    "4:memory:/process_api/abc",
    "3:cpuset:/",
    "0::/",
    "",
  ].join("\n");
  assert.equal(callerCgroup(hybrid, "hybrid"), "/process_api/abc");
  assert.equal(callerCgroup(hybrid, "legacy"), "/process_api/abc");
  assert.equal(callerCgroup(hybrid, "unified"), "/");
  assert.equal(callerCgroup("0::/user.slice/u.scope\n", "unified"), "/user.slice/u.scope");
  assert.equal(callerCgroup("5:cpu,memory:/m\n", "legacy"), "/m");
  assert.equal(callerCgroup("5:memory:/with:colon\n", "legacy"), "/with:colon");
  assert.throws(() => callerCgroup("0::/\n", "hybrid"), /No memory controller line/);
  assert.throws(() => callerCgroup("4:memory:/m\n", "unified"), /No cgroup2 line/);
  assert.throws(() => callerCgroup("garbage\n", "unified"), /Cannot parse cgroup line/);
  assert.throws(() => callerCgroup("0::/../../x\n", "unified"), /outside this cgroup namespace/);
});

Deno.test("containerCgroupsPath nests a leaf: never empty, / or the caller's own", () => {
  for (const caller of ["/", "/a", "/a/b/", "/process_api/abc"]) {
    const path = containerCgroupsPath(caller, "openshell-local-1a2b");
    assert.ok(path.startsWith("/") && path !== "/" && path !== caller, path);
    assert.equal(path, `${caller.replace(/\/$/, "")}/openshell-local-1a2b`.replace(/^\/\//, "/"));
    assert.doesNotThrow(() => buildOciConfig({ ...base, cgroupsPath: path }));
  }
  for (const bad of ["", ".", "..", "a/b", "a b", "/x"]) {
    assert.throws(() => containerCgroupsPath("/a", bad), /Invalid cgroup leaf/, bad);
  }
});

Deno.test("seccomp: the profile is written as given, or left out when unconfined", () => {
  assert.deepEqual(buildOciConfig(base).linux.seccomp, seccompProfile("x86_64"));
  assert.ok(!("seccomp" in buildOciConfig({ ...base, seccomp: undefined }).linux));
});

Deno.test("resources: memory, pids and a CPU quota over a 100 ms period; none when empty", () => {
  assert.deepEqual(buildOciConfig(base).linux.resources, {
    memory: { limit: 536870912 },
    pids: { limit: 512 },
  });
  assert.deepEqual(ociResources({ cpus: 1.5 }), { cpu: { quota: 150000, period: 100000 } });
  assert.ok(!("resources" in buildOciConfig({ ...base, resources: {} }).linux));
  for (const bad of [{ memoryBytes: 0 }, { pids: 1.5 }, { pids: -1 }, { cpus: 0.001 }]) {
    assert.throws(() => ociResources(bad), /Invalid (memory|pids|cpus) limit/);
  }
});
