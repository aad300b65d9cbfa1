import assert from "node:assert/strict";
import { join } from "node:path";
import { buildOciConfig, type GatewayContainerSpec } from "../src/container/oci_config.ts";
import { bundlePaths, removeBundle, stageBundle } from "../src/container/stage_bundle.ts";
import { cgroupDirsFor, missingDirs } from "../src/runtime/_cgroup_dirs.ts";
import { decideCgroupsPath } from "../src/runtime/_cgroup_path.ts";
import { newContainerId } from "../src/runtime/_container_id.ts";
import { lockNameDir, tryLockInstance } from "../src/runtime/_instance_lock.ts";
import {
  readLaunchRecord,
  removeLaunchRecord,
  writeLaunchRecord,
} from "../src/runtime/launch_record.ts";
import { checkAddressFree } from "../src/runtime/launch_gateway.ts";
import { locateRuntime, RUNTIME_ENV_ALLOWLIST, runtimeEnv } from "../src/runtime/oci_runtime.ts";
import { ensureOwnedDir } from "../src/files/private_dir.ts";
import { explainRuntimeFailure } from "../src/runtime/_runtime_failure.ts";
import { UserError } from "../src/errors/user_error.ts";
import { withTempDir } from "./_helpers/temp_dir.ts";

/** A small gateway container spec; tests override the fields they are about. */
const SPEC: GatewayContainerSpec = {
  name: "x",
  listen: "127.0.0.1:1",
  version: "1",
  hostUid: 1,
  hostGid: 1,
  rootfs: "/r",
  stateDir: "/s",
  secretsDir: "/t",
  binary: "/b",
  cgroupsPath: undefined,
  hardLimits: {},
  seccomp: undefined,
  resources: {},
};

Deno.test("runtimeEnv keeps only the allowlist and always has PATH", () => {
  const env: Record<string, string> = {
    PATH: "/bin",
    HOME: "/h",
    XDG_RUNTIME_DIR: "/r",
    LANG: "C",
    GITHUB_TOKEN: "x",
    LISTEN_FDS: "3",
    DBUS_SESSION_BUS_ADDRESS: "y",
    RUST_LOG: "debug",
  };
  assert.deepEqual(runtimeEnv((n) => env[n]), {
    PATH: "/bin",
    HOME: "/h",
    XDG_RUNTIME_DIR: "/r",
    LANG: "C",
  });
  assert.deepEqual(Object.keys(runtimeEnv(() => undefined)), ["PATH"]);
  assert.deepEqual([...RUNTIME_ENV_ALLOWLIST], ["PATH", "HOME", "XDG_RUNTIME_DIR", "LANG"]);
});

Deno.test("locateRuntime: explicit path, variable, PATH lookup, and errors naming the install", async () => {
  await withTempDir("openshell-runtime-", async (dir) => {
    const bin = join(dir, "bin");
    await Deno.mkdir(bin);
    const youki = join(bin, "youki");
    await Deno.writeTextFile(youki, "#!/bin/sh\n", { mode: 0o755 });
    const plain = join(bin, "runc");
    await Deno.writeTextFile(plain, "not executable", { mode: 0o644 });
    const env = (vars: Record<string, string>) => (n: string) => vars[n];
    assert.deepEqual(await locateRuntime({ name: "youki", env: env({ PATH: `/nope:${bin}` }) }), {
      name: "youki",
      path: youki,
    });
    assert.deepEqual(
      await locateRuntime({ name: "youki", env: env({ PATH: "", OPENSHELL_OCI_RUNTIME: youki }) }),
      { name: "youki", path: youki },
    );
    assert.deepEqual(
      await locateRuntime({ name: "runc", path: youki, env: env({ OPENSHELL_OCI_RUNTIME: "/x" }) }),
      { name: "runc", path: youki },
    );
    await assert.rejects(
      locateRuntime({ name: "youki", env: env({ PATH: "/nope" }) }),
      (e: UserError) =>
        /OCI runtime "youki" not found on PATH/.test(e.message) &&
        /`[^`]+\/scripts\/install-youki\.sh'?`/.test(e.hint!) && /--runtime runc/.test(e.hint!),
    );
    await assert.rejects(
      locateRuntime({ name: "runc", env: env({ PATH: bin }) }),
      (e: UserError) => /"runc" not found/.test(e.message) && /apt-get install runc/.test(e.hint!),
    );
    await assert.rejects(
      locateRuntime({ name: "youki", path: plain, env: env({}) }),
      /is not an executable file/,
    );
  });
});

Deno.test("container IDs are fresh, runtime-safe and recognisable per name", () => {
  const ids = new Set(Array.from({ length: 200 }, () => newContainerId("local")));
  assert.equal(ids.size, 200);
  for (const id of ids) {
    assert.match(id, /^openshell-local-[0-9a-f]{8}$/);
  }
  const odd = newContainerId("corp dev/é", () => new Uint8Array([1, 2, 3, 255]));
  assert.equal(odd, "openshell-corp-dev---010203ff");
  assert.match(odd, /^[A-Za-z0-9_+.-]+$/);
});

Deno.test("decideCgroupsPath: nested leaf, except rootless runc on v1 where it is left out", () => {
  const base = { callerPath: "/user/a", leaf: "openshell-x-1" } as const;
  for (const runtime of ["youki", "runc", "crun"] as const) {
    for (const rootless of [false, true]) {
      for (const layout of ["unified", "hybrid", "legacy"] as const) {
        const path = decideCgroupsPath({ ...base, runtime, rootless, layout });
        if (runtime === "runc" && rootless && layout !== "unified") assert.equal(path, undefined);
        else assert.equal(path, "/user/a/openshell-x-1", `${runtime} ${rootless} ${layout}`);
      }
    }
  }
  const config = buildOciConfig({ ...SPEC, cgroupsPath: undefined });
  assert.ok(!("cgroupsPath" in config.linux));
});

Deno.test("cgroupDirsFor lists the path and its ancestors per hierarchy, deepest first", async () => {
  assert.deepEqual(cgroupDirsFor("/a/b", "unified", ["/ignored"], "/cg"), ["/cg/a/b", "/cg/a"]);
  assert.deepEqual(cgroupDirsFor("/a/b", "hybrid", ["/cg/cpu", "/cg/memory"]), [
    "/cg/cpu/a/b",
    "/cg/memory/a/b",
    "/cg/cpu/a",
    "/cg/memory/a",
  ]);
  assert.deepEqual(cgroupDirsFor("/", "legacy", ["/cg/cpu"]), []);
  await withTempDir("openshell-runtime-", async (dir) => {
    await Deno.mkdir(join(dir, "a"));
    assert.deepEqual(await missingDirs([join(dir, "a/b"), join(dir, "a")]), [join(dir, "a/b")]);
  });
});

Deno.test("explainRuntimeFailure: delegation remedies only for rootless cgroup denials on v1", () => {
  const denied =
    "ERROR libcontainer::process::container_main_process: failed to apply cgroup: Permission denied (os error 13)";
  const known = explainRuntimeFailure({
    runtime: "youki",
    code: 1,
    stderr: denied,
    layout: "hybrid",
    rootless: true,
  });
  assert.match(known.message, /^Rootless youki cannot create the gateway's cgroup/);
  assert.match(known.hint!, /delegate/);
  assert.match(known.hint!, /--runtime runc/);
  for (
    const other of [{ layout: "unified" as const, rootless: true }, {
      layout: "hybrid" as const,
      rootless: false,
    }]
  ) {
    const error = explainRuntimeFailure({ runtime: "youki", code: 1, stderr: denied, ...other });
    assert.match(error.message, /^OCI runtime youki failed with status 1: ERROR libcontainer/);
  }
  const gateway = explainRuntimeFailure({
    runtime: "youki",
    code: 1,
    stderr: "",
    layout: "hybrid",
    rootless: true,
  });
  assert.equal(gateway.message, "The container exited with status 1 before the gateway answered");
});

Deno.test("explainRuntimeFailure: from the runtime's JSON log, the failed step and its cause with the path", () => {
  // What youki 0.7.0 logs with --log-format json when its init cannot reach the rootfs.
  const log = [
    {
      level: "ERROR",
      message: "failed to bind mount rootfs",
      rootfs: "/c/openshell/rootfs/d/rootfs",
      err: "Nix(EACCES)",
      target: "libcontainer::rootfs::rootfs",
    },
    { level: "ERROR", message: "failed to prepare rootfs", err: "Syscall(Nix(EACCES))" },
    {
      level: "ERROR",
      message:
        "error in executing command: failed to create container: exec process failed with error error in executing process : failed to prepare rootfs\n\nCaused by:\n    0: x",
      target: "youki",
    },
    { level: "WARN", message: "not an error" },
  ].map((r) => JSON.stringify(r)).join("\n") + "\nnot json\n";
  const error = explainRuntimeFailure({
    runtime: "youki",
    code: 255,
    stderr: "",
    log,
    layout: "hybrid",
    rootless: false,
  });
  assert.equal(
    error.message,
    'OCI runtime youki failed with status 255: failed to prepare rootfs: failed to bind mount rootfs rootfs="/c/openshell/rootfs/d/rootfs" err=Nix(EACCES)',
  );
  // runc's one record is shown as it is.
  const runc = explainRuntimeFailure({
    runtime: "runc",
    code: 1,
    stderr: "",
    log:
      '{"level":"error","msg":"runc run failed: chdir /b: no such file or directory","time":"t"}',
    layout: "unified",
    rootless: true,
  });
  assert.equal(
    runc.message,
    "OCI runtime runc failed with status 1: runc run failed: chdir /b: no such file or directory",
  );
});

Deno.test("stageBundle writes a 0700 bundle with 0600 config and read-only secrets; removal is complete", async () => {
  await withTempDir("openshell-runtime-", async (dir) => {
    const paths = bundlePaths(dir, "openshell-x-01020304");
    const config = buildOciConfig({
      ...SPEC,
      secretsDir: paths.secrets,
      cgroupsPath: "/a/openshell-x-01020304",
    });
    await stageBundle({ paths, config, secrets: { token: "t0k\n" } });
    const mode = async (p: string) => (await Deno.stat(p)).mode! & 0o777;
    assert.equal(await mode(paths.dir), 0o700);
    assert.equal(await mode(paths.config), 0o600);
    assert.equal(await mode(paths.secrets), 0o500);
    assert.equal(await mode(join(paths.secrets, "token")), 0o400);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(paths.config)), config);
    assert.equal(await Deno.readTextFile(join(paths.secrets, "token")), "t0k\n");
    await assert.rejects(stageBundle({ paths, config, secrets: {} }), Deno.errors.AlreadyExists);
    await removeBundle(paths);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
    await removeBundle(paths); // already gone is fine
    await assert.rejects(
      stageBundle({ paths, config, secrets: { "../escape": "x" } }),
      /Invalid secret file name/,
    );
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), [], "a failed stage leaves nothing");
  });
});

Deno.test("the instance lock is exclusive and freed on release", async () => {
  await withTempDir("openshell-runtime-", async (dir) => {
    const first = await tryLockInstance(dir);
    assert.ok(first);
    assert.equal(await tryLockInstance(dir), undefined);
    // Another process cannot take it either.
    const other = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = await Deno.open(${
          JSON.stringify(join(dir, "lock"))
        }, { read: true, write: true });
         Deno.exit((await f.tryLock(true)) ? 0 : 3);`,
      ],
    }).output();
    assert.equal(other.code, 3);
    await first.release();
    const again = await tryLockInstance(dir);
    assert.ok(again);
    await again.release();
  });
});

Deno.test("a name's dir goes with its last lock, and launches racing releases always find it", async () => {
  await withTempDir("openshell-runtime-", async (home) => {
    const dir = join(home, "gateways", "race");
    const uid = Deno.uid()!;
    const lock = await lockNameDir(dir, uid);
    assert.ok(lock);
    assert.equal(await lockNameDir(dir, uid), undefined, "exclusive");
    await Deno.writeTextFile(join(dir, "served.json"), "{}");
    await lock.release();
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(dir))).map((entry) => entry.name),
      ["served.json"],
      "a record left in it keeps the dir",
    );
    await Deno.remove(join(dir, "served.json"));
    const again = await lockNameDir(dir, uid);
    assert.ok(again);
    await again.release();
    assert.equal(await Deno.lstat(dir).catch(() => undefined), undefined, "gone once empty");

    // Processes that each take and release the name over and over: every attempt either
    // gets the lock or finds it held, none fails on a dir removed under it.
    const module = new URL("../src/runtime/_instance_lock.ts", import.meta.url).href;
    const script = `
      const { lockNameDir } = await import(${JSON.stringify(module)});
      let held = 0;
      for (let i = 0; i < 400; i++) {
        const lock = await lockNameDir(${JSON.stringify(dir)}, ${uid});
        if (lock) { held++; await lock.release(); }
      }
      console.log(held);`;
    const racers = await Promise.all(
      [1, 2, 3].map(() =>
        new Deno.Command(Deno.execPath(), { args: ["eval", script], stderr: "piped" }).output()
      ),
    );
    let held = 0;
    for (const racer of racers) {
      assert.equal(racer.code, 0, new TextDecoder().decode(racer.stderr));
      held += Number(new TextDecoder().decode(racer.stdout));
    }
    assert.ok(held > 0, "the racers took the lock");
    assert.equal(await Deno.lstat(dir).catch(() => undefined), undefined, "gone after the race");
  });
});

Deno.test("launch records round-trip and unreadable ones are ignored", async () => {
  await withTempDir("openshell-runtime-", async (dir) => {
    assert.equal(await readLaunchRecord(dir), undefined);
    const record = {
      containerId: "openshell-x-01020304",
      bundle: "/b",
      runtimePath: "/usr/bin/youki",
      stateRoot: "/s",
      cgroupDirs: ["/sys/fs/cgroup/a"],
      pid: 42,
    };
    await writeLaunchRecord(dir, record);
    assert.deepEqual(await readLaunchRecord(dir), record);
    assert.equal((await Deno.stat(join(dir, "launch.json"))).mode! & 0o777, 0o600);
    await Deno.writeTextFile(join(dir, "launch.json"), "{");
    assert.equal(await readLaunchRecord(dir), undefined);
    await removeLaunchRecord(dir);
    await removeLaunchRecord(dir);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(dir)), []);
  });
});

Deno.test("ensureOwnedDir creates with the mode, repairs it, and refuses foreign dirs", async () => {
  await withTempDir("openshell-runtime-", async (dir) => {
    const uid = Deno.uid()!;
    const path = join(dir, "a/b");
    await ensureOwnedDir(path, uid);
    assert.equal((await Deno.stat(path)).mode! & 0o7777, 0o700);
    await Deno.chmod(path, 0o755);
    await ensureOwnedDir(path, uid, 0o711);
    assert.equal((await Deno.stat(path)).mode! & 0o7777, 0o711);
    await assert.rejects(ensureOwnedDir(path, uid + 1), /is not a directory owned by uid/);
    await Deno.writeTextFile(join(dir, "file"), "");
    await assert.rejects(ensureOwnedDir(join(dir, "file"), uid), UserError);
  });
});

Deno.test("checkAddressFree reports a taken port clearly", () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    assert.throws(
      () => checkAddressFree({ hostname: "127.0.0.1", port }),
      new RegExp(`Address "127.0.0.1:${port}" is already in use`),
    );
  } finally {
    listener.close();
  }
  assert.doesNotThrow(() => checkAddressFree({ hostname: "127.0.0.1", port }));
  assert.throws(() => checkAddressFree({ hostname: "192.0.2.1", port }), /Cannot listen on/);
});
