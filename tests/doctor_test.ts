import assert from "node:assert/strict";
import { canServe, type DoctorCheck, doctorChecks, type DoctorFacts } from "../src/doctor/mod.ts";
import { installCommands } from "../src/runtime/mod.ts";
import { shellWord } from "../src/errors/mod.ts";
import { createServeSandbox } from "./_helpers/serve_fixture.ts";
import { join } from "node:path";
import { REPO, runCli } from "./_helpers/sandbox.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { runCommand } from "./_helpers/run_command.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";
import { detectCgroupLayout } from "../src/runtime/_cgroup_path.ts";

/** A healthy root host on a hybrid layout; each test changes what it is about. */
function facts(change: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    uid: 0,
    userNamespaces: { maxUserNamespaces: 15000, unprivilegedClone: undefined },
    cgroups: {
      layout: "hybrid",
      access: [
        { controller: "cpu", dir: "/sys/fs/cgroup/cpu/", writable: true },
        { controller: "memory", dir: "/sys/fs/cgroup/memory/", writable: true },
      ],
    },
    runtimes: [{
      name: "youki",
      path: "/usr/local/bin/youki",
      version: "youki version: 0.7.0",
      features: { cgroupV1: true, cgroupV2: true, systemd: false, seccomp: "2.5.4" },
    }, { name: "runc", path: "/usr/sbin/runc", version: "runc version 1.1.5" }],
    choice: { runtime: "youki", path: "/usr/local/bin/youki", reason: "youki is the default" },
    runtimeOverride: undefined,
    installCommands: installCommands({ kind: "checkout", dir: "/src/openshell" }),
    limits: {
      layout: "hybrid",
      callerPath: "/",
      cgroupsPath: "/openshell-doctor",
      decision: { applied: { memoryBytes: 512 * 1024 ** 2, pids: 512 }, skipped: [] },
    },
    rootReach: [{ role: "the program", path: "/usr/bin/openshell", blocker: undefined }],
    runtimeDir: {
      variable: undefined,
      openshellDir: "/run/openshell",
      ignored: undefined,
      mode: undefined,
    },
    rootfs: {
      digest: "ab".repeat(32),
      size: 100,
      imageProblem: undefined,
      cachePath: "/var/cache/openshell/rootfs/x/rootfs",
      cached: true,
      intact: true,
      closureMissing: [],
    },
    registry: {
      problems: [],
      active: undefined,
      activeProblem: undefined,
      shadowed: [],
      systemRoot: "/etc/openshell",
      ignoredSystemDir: undefined,
    },
    listen: { address: "127.0.0.1:8090", problem: undefined },
    ...change,
  };
}

const byName = (checks: DoctorCheck[], name: string) => checks.filter((c) => c.check === name);
const only = (checks: DoctorCheck[], name: string) => {
  const found = byName(checks, name);
  assert.equal(found.length, 1, name);
  return found[0]!;
};

Deno.test("doctor: a healthy root host is all ok, every remedy null", () => {
  const checks = doctorChecks(facts());
  assert.ok(canServe(checks));
  for (const c of checks) {
    assert.equal(c.status, "ok", `${c.check}: ${c.found}`);
    assert.equal(c.remedy, null);
  }
  assert.match(only(checks, "runtime youki").found, /features: cgroup v1, cgroup v2, seccomp/);
  assert.match(
    only(checks, "cgroup layout").found,
    /^hybrid: cgroup v1 controllers \(cpu, memory\)/,
  );
});

Deno.test("doctor: an ordinary user without delegation is told youki needs it, runc is used", () => {
  const checks = doctorChecks(facts({
    uid: 1000,
    cgroups: {
      layout: "hybrid",
      access: [{ controller: "memory", dir: "/sys/fs/cgroup/memory/", writable: false }],
    },
    choice: { runtime: "runc", path: "/usr/sbin/runc", reason: "youki cannot ...; using runc" },
    runtimeDir: {
      variable: "/run/user/1000",
      openshellDir: "/run/user/1000/openshell",
      ignored: undefined,
      mode: 0o40700,
    },
  }));
  assert.ok(canServe(checks));
  const delegation = only(checks, "cgroup delegation");
  assert.equal(delegation.status, "warn");
  assert.match(delegation.found, /youki needs delegation here, runc runs without/);
  assert.match(delegation.remedy!, /--runtime runc/);
  assert.match(only(checks, "runtime choice").found, /^serve would use runc/);
  assert.match(only(checks, "root launch paths").found, /not needed/);
});

Deno.test("doctor: no runtime that can run fails, naming the install command", () => {
  const checks = doctorChecks(facts({
    runtimes: [],
    choice: { runtime: undefined, reason: "youki is not installed", remedy: "Install youki" },
  }));
  assert.equal(canServe(checks), false);
  const choice = only(checks, "runtime choice");
  assert.equal(choice.status, "fail");
  assert.equal(choice.remedy, "Install youki");
  const youki = only(checks, "runtime youki");
  assert.equal(youki.status, "warn");
  assert.equal(youki.remedy, "Install youki 0.7.0 with `/src/openshell/scripts/install-youki.sh`");
  assert.equal(only(checks, "runtime runc").status, "warn");
});

Deno.test("doctor: youki without the v1 manager on a hybrid host is a warning with the fix", () => {
  const checks = doctorChecks(facts({
    runtimes: [{
      name: "youki",
      path: "/y",
      version: "youki version: 0.7.0",
      features: { cgroupV1: false, cgroupV2: false, systemd: false, seccomp: undefined },
    }],
  }));
  const youki = only(checks, "runtime youki");
  assert.equal(youki.status, "warn");
  assert.match(youki.found, /features: none: built without the v1 cgroup manager/);
  assert.match(youki.remedy!, /scripts\/install-youki\.sh/);
});

Deno.test("doctor: user namespaces off fail for ordinary users with the sysctl to run", () => {
  const off = { maxUserNamespaces: 15000, unprivilegedClone: 0 };
  const user = only(doctorChecks(facts({ uid: 1000, userNamespaces: off })), "user namespaces");
  assert.equal(user.status, "fail");
  assert.match(user.remedy!, /sysctl -w kernel\.unprivileged_userns_clone=1/);
  assert.equal(only(doctorChecks(facts({ userNamespaces: off })), "user namespaces").status, "ok");
  const none = { maxUserNamespaces: 0, unprivilegedClone: undefined };
  const root = only(doctorChecks(facts({ userNamespaces: none })), "user namespaces");
  assert.equal(root.status, "fail");
  assert.match(root.remedy!, /user\.max_user_namespaces=15000/);
});

Deno.test("doctor: root launch paths name each directory uid 65532 cannot pass", () => {
  const checks = doctorChecks(facts({
    rootReach: [
      {
        role: "the program",
        path: "/root/bin/openshell",
        blocker: { path: "/root", why: "mode 0700" },
      },
      { role: "the state dir", path: "/var/lib/openshell", blocker: undefined },
    ],
  }));
  const reach = byName(checks, "root launch paths");
  assert.equal(reach.length, 1);
  assert.equal(reach[0]!.status, "fail");
  assert.match(reach[0]!.found, /the program "\/root\/bin\/openshell": "\/root" has mode 0700/);
  assert.match(reach[0]!.remedy!, /chmod o\+x '\/root'/);
});

Deno.test("doctor: runtime dir ignored when not private, open, private, unset, root", () => {
  const dir = (change: Partial<DoctorFacts["runtimeDir"]>, uid = 1000) =>
    only(
      doctorChecks(facts({
        uid,
        runtimeDir: {
          variable: "/run/user/1000",
          openshellDir: "/run/user/1000/openshell",
          ignored: undefined,
          mode: 0o40700,
          ...change,
        },
      })),
      "runtime dir",
    );
  const shared = dir({
    variable: "/tmp",
    openshellDir: "/tmp/openshell-1000",
    ignored: 'XDG_RUNTIME_DIR "/tmp" belongs to uid 0 and is writable by others (mode 1777)',
    mode: undefined,
  });
  assert.equal(shared.status, "warn");
  assert.match(shared.found, /: not a private runtime dir, so serve uses \/tmp\/openshell-1000$/);
  assert.match(shared.remedy!, /^`unset XDG_RUNTIME_DIR`/);
  const open = dir({ mode: 0o40755 });
  assert.equal(open.status, "warn");
  assert.equal(open.remedy, "`chmod 0700 '/run/user/1000'`");
  assert.equal(dir({}).status, "ok");
  assert.match(dir({}).found, /serve uses \/run\/user\/1000\/openshell$/);
  const unset = dir({ variable: undefined, openshellDir: "/tmp/openshell-1000", mode: undefined });
  assert.equal(unset.status, "ok");
  assert.match(unset.found, /serve uses \/tmp\/openshell-1000$/);
  // Root keeps its bundles in /run/openshell whatever the variable says.
  assert.equal(dir({ openshellDir: "/run/openshell" }, 0).status, "ok");
});

Deno.test("doctor: resource limits, applied or skipped in serve's words", () => {
  const limits = (plan: DoctorFacts["limits"]) =>
    only(doctorChecks(facts({ limits: plan })), "resource limits");
  assert.equal(
    limits(facts().limits).found,
    "serve applies --memory 512M, --pids 512 (its defaults) to the container's cgroup",
  );
  const none = limits({
    layout: "unified",
    callerPath: "/",
    cgroupsPath: "/openshell-doctor",
    decision: {
      applied: {},
      skipped: ["memoryBytes", "pids"],
      reason: "the cgroup controller(s) memory, pids are not available",
      remedy: "Enable them",
    },
  });
  assert.equal(none.status, "warn");
  assert.equal(
    none.found,
    "Running without the --memory, --pids limit(s): the cgroup controller(s) memory, pids are not available",
  );
  assert.equal(none.remedy, "Enable them");
  const some = limits({
    layout: "unified",
    callerPath: "/",
    cgroupsPath: "/x",
    decision: { applied: { pids: 512 }, skipped: ["memoryBytes"], reason: "r", remedy: "m" },
  });
  assert.equal(some.found, "Running without the --memory limit(s): r; it applies --pids 512");
  assert.equal(limits(undefined).status, "ok");
  assert.equal(limits("No memory controller line").status, "warn");
});

Deno.test("doctor: read-only v1 controllers fail root's delegation line", () => {
  const checks = doctorChecks(facts({
    cgroups: {
      layout: "hybrid",
      access: [{ controller: "memory", dir: "/sys/fs/cgroup/memory/", writable: false }],
    },
    choice: { runtime: undefined, reason: "read-only", remedy: "Boot it with v2" },
  }));
  const delegation = only(checks, "cgroup delegation");
  assert.equal(delegation.status, "fail");
  assert.match(delegation.found, /memory are read-only here/);
  assert.match(delegation.remedy!, /SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1/);
  assert.equal(canServe(checks), false);
});

Deno.test("doctor: rootfs image and cache entry states", () => {
  const rootfs = (change: Partial<DoctorFacts["rootfs"]>) =>
    doctorChecks(facts({ rootfs: { ...facts().rootfs, ...change } }));
  const bad = rootfs({ imageProblem: "digest mismatch" });
  assert.equal(only(bad, "rootfs image").status, "fail");
  assert.equal(byName(bad, "rootfs cache").length, 0);
  assert.match(
    only(rootfs({ cached: false, intact: false }), "rootfs cache").found,
    /not unpacked/,
  );
  assert.equal(only(rootfs({ intact: false }), "rootfs cache").status, "warn");
  assert.equal(only(rootfs({ closureMissing: ["libc.so.6"] }), "rootfs cache").status, "fail");
  assert.match(only(rootfs({}), "rootfs cache").found, /exists and verifies$/);
});

Deno.test("doctor: registry problems are warnings with the command that fixes each", () => {
  const checks = doctorChecks(facts({
    registry: {
      problems: [{ name: "bad", path: "/u/gateways/bad/metadata.json", message: "invalid JSON" }],
      active: undefined,
      activeProblem: "Active gateway 'gone' not found",
      shadowed: [{ name: "dup", userPath: "/u/dup.json", systemPath: "/etc/dup.json" }],
      systemRoot: "/etc/openshell",
      ignoredSystemDir: "ignoring OPENSHELL_SYSTEM_GATEWAY_DIR='rel': it is not an absolute path",
    },
    listen: { address: "127.0.0.1:8090", problem: `Address "127.0.0.1:8090" is already in use` },
  }));
  assert.ok(canServe(checks));
  const expected: Record<string, RegExp> = {
    "registry files": /openshell gateway remove bad/,
    "active gateway": /openshell gateway select/,
    "shadowed entries": /openshell gateway remove dup/,
    "system registry dir": /unset OPENSHELL_SYSTEM_GATEWAY_DIR/,
    "listen port": /--listen 127\.0\.0\.1:<port>/,
  };
  for (const [name, remedy] of Object.entries(expected)) {
    const c = only(checks, name);
    assert.equal(c.status, "warn", name);
    assert.match(c.remedy!, remedy, name);
  }
});

// The real command on this host: root, the ordinary test user, and no runtime at all.
const user = await userIds(TEST_USER);
const hybrid = (await detectCgroupLayout()) !== "unified";
const youki = await Deno.stat("/usr/local/bin/youki").then(() => true, () => false);
const realMissing = Deno.uid() !== 0
  ? "it runs as root to switch users"
  : !user
  ? `user "${TEST_USER}" does not exist`
  : !youki
  ? "youki is not installed"
  : undefined;
if (realMissing) console.error(`doctor host tests skipped: ${realMissing}`);

function statusOf(json: string, check: string): DoctorCheck[] {
  return (JSON.parse(json) as DoctorCheck[]).filter((c) => c.check === check);
}

Deno.test({
  name: "doctor as root on this host: serve can run, with youki",
  ignore: realMissing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const text = await runCli(sandbox, ["doctor"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^ok\s+runtime choice\s+serve would use youki/m);
    const json = await runCli(sandbox, ["doctor", "check", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const checks = JSON.parse(json.stdout) as DoctorCheck[];
    for (const c of checks) {
      assert.deepEqual(Object.keys(c), ["check", "status", "found", "remedy"]);
      assert.ok(["ok", "warn", "fail"].includes(c.status));
    }
    assert.equal(statusOf(json.stdout, "root launch paths")[0]!.status, "ok");
    assert.equal(statusOf(json.stdout, "user namespaces")[0]!.status, "ok");
  },
});

Deno.test({
  name: "doctor as the ordinary test user on this hybrid host: youki needs delegation, runc usable",
  ignore: realMissing !== undefined || !hybrid,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const output = await runCommand(asUser(TEST_USER, sharedCliArgv(["doctor", "-o", "json"])), {
      env: sandbox.env,
      cwd: sandbox.root,
    });
    assert.equal(output.code, 0, output.stderr);
    const delegation = statusOf(output.stdout, "cgroup delegation")[0]!;
    assert.equal(delegation.status, "warn");
    assert.match(delegation.found, /youki needs delegation/);
    const choice = statusOf(output.stdout, "runtime choice")[0]!;
    assert.equal(choice.status, "ok");
    assert.match(choice.found, /^serve would use runc .*: youki cannot create cgroups rootless/);
    assert.equal(statusOf(output.stdout, "runtime dir")[0]!.status, "ok");
  },
});

Deno.test({
  name: "doctor without youki or any fallback on PATH fails naming the install command",
  ignore: realMissing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const result = await runCli(sandbox, ["doctor"], { env: { PATH: "/nonexistent" } });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^fail\s+runtime choice\s+no runtime can run here/m);
    assert.match(
      result.stdout,
      /fix: Install youki 0\.7\.0 with `[^`]+\/scripts\/install-youki\.sh'?`/,
    );
    assert.match(result.stderr, /^error: serve cannot run here: runtime choice$/m);
    const json = await runCli(sandbox, ["doctor", "-o", "json"], { env: { PATH: "/nonexistent" } });
    assert.equal(json.code, 1);
    const choice = statusOf(json.stdout, "runtime choice")[0]!;
    assert.equal(choice.status, "fail");
    // From a checkout the command is its own script, by its full path: it runs from anywhere
    // (here it finds youki 0.7.0 installed and has nothing to do).
    const script = /`([^`]+)`$/.exec(choice.remedy!)![1]!;
    assert.equal(script, shellWord(join(REPO, "scripts/install-youki.sh")));
    const install = await runCommand(["sh", "-c", script], { env: sandbox.env, cwd: sandbox.home });
    assert.equal(install.code, 0, install.stderr);
    // serve refuses for the same reason, with the same remedy.
    const serve = await runCli(sandbox, ["serve", "--name", "nort"], {
      env: { PATH: "/nonexistent" },
    });
    assert.equal(serve.code, 1);
    const reason = choice.found.replace(/^no runtime can run here: /, "");
    assert.ok(
      serve.stderr.includes(`error: No OCI runtime can run here: ${reason}\n`),
      serve.stderr,
    );
    assert.ok(serve.stderr.includes(`hint: install youki 0.7.0 with \`${script}\``), serve.stderr);
  },
});

Deno.test({
  name: "doctor as the test user inside a subtree delegated by the README's recipe: youki",
  ignore: realMissing !== undefined || !hybrid,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const leaf = `openshell-doctor-${crypto.randomUUID().slice(0, 8)}`;
    // The README's recipe, for this user and leaf name.
    const delegate = `for c in /sys/fs/cgroup/*/; do
  [ -f "$c/tasks" ] && [ "$c" != /sys/fs/cgroup/systemd/ ] || continue
  mkdir -p "$c/${leaf}"
  [ -f "$c/cpuset.cpus" ] && cat "$c/cpuset.cpus" >"$c/${leaf}/cpuset.cpus" &&
    cat "$c/cpuset.mems" >"$c/${leaf}/cpuset.mems"
  chown ${TEST_USER}: "$c/${leaf}" "$c/${leaf}/cgroup.procs" "$c/${leaf}/tasks"
done
for c in /sys/fs/cgroup/*/${leaf}; do echo $$ >"$c/cgroup.procs"; done
exec "$@"`;
    try {
      const output = await runCommand(
        ["sh", "-c", delegate, "sh", ...asUser(TEST_USER, sharedCliArgv(["doctor", "-o", "json"]))],
        { env: sandbox.env, cwd: sandbox.root },
      );
      assert.equal(output.code, 0, output.stderr);
      const delegation = statusOf(output.stdout, "cgroup delegation")[0]!;
      assert.equal(delegation.status, "ok", delegation.found);
      assert.match(delegation.found, new RegExp(`^delegated: .*${leaf}`));
      const choice = statusOf(output.stdout, "runtime choice")[0]!;
      assert.match(
        choice.found,
        /^serve would use youki .*: youki runs rootless in your delegated cgroup subtree$/,
      );
    } finally {
      const dirs = await Array.fromAsync(Deno.readDir("/sys/fs/cgroup"), (e) => e.name);
      for (const dir of dirs) await Deno.remove(`/sys/fs/cgroup/${dir}/${leaf}`).catch(() => {});
    }
  },
});
