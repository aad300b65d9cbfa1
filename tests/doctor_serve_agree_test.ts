/**
 * `doctor` and then `serve`, run for real in the same environments, must agree: when doctor
 * fails, serve refuses with doctor's reason; otherwise serve runs with the runtime doctor
 * named, in the runtime dir doctor named, and applies exactly the limits doctor said it would
 * (warning in doctor's words about the rest). The environments: root on this host, the
 * ordinary test user with and without a delegated cgroup subtree and with a shared `/tmp` as
 * its XDG_RUNTIME_DIR, and a booted bookworm root, as pure cgroup v2 and as this hybrid host
 * gives it (the v1 controllers read-only), where root and an ordinary user's service (its
 * cgroup delegated or not) run them in units of their own.
 */
import assert from "node:assert/strict";
import { existsSync, realpathSync } from "node:fs";
import { dirname } from "node:path";
import type { DoctorCheck } from "../src/doctor/mod.ts";
import { detectCgroupLayout } from "../src/runtime/_cgroup_path.ts";
import { delegateV1Cgroup } from "./_helpers/cgroup_delegation.ts";
import { addLingeringUser, bootDebianRoot, type BootedRoot } from "./_helpers/debian_root.ts";
import { freePort } from "./_helpers/loopback.ts";
import { type CommandResult, runCommand } from "./_helpers/run_command.ts";
import { cliArgv, denoDir, MAIN, REPO, type Sandbox } from "./_helpers/sandbox.ts";
import {
  createServeSandbox,
  type ServeProcess,
  startServe,
  type StartServeOptions,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { SHARED_CHECKOUT, sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";

const YOUKI = "/usr/local/bin/youki";
const user = await userIds(TEST_USER);
const hybrid = (await detectCgroupLayout()) !== "unified";
const missing = Deno.uid() !== 0
  ? "it runs as root to switch users and boot containers"
  : !user
  ? `user "${TEST_USER}" does not exist`
  : !existsSync(YOUKI)
  ? "youki is not installed"
  : undefined;
const noNspawn = missing ?? (existsSync("/usr/bin/systemd-nspawn") ? undefined : "no nspawn");
if (missing) console.error(`doctor/serve agreement tests skipped: ${missing}`);

/** One environment: how the program runs there, and a root shell that sees its cgroups. */
interface Place {
  cli(args: string[]): Promise<CommandResult>;
  serve(args: string[]): ServeProcess;
  sh(script: string): Promise<string>;
  /** Ends a serve that runs outside the test's process tree. */
  stopServe?(): Promise<void>;
}

/** The limits in effect in the cgroups of gateway `name`'s container, as doctor words them. */
async function appliedLimits(place: Place, name: string): Promise<string> {
  const text = await place.sh(
    `find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name 'openshell-${name}-*' 2>/dev/null |
while read -r d; do
  for f in memory.max memory.limit_in_bytes pids.max; do
    if [ -f "$d/$f" ]; then echo "$f $(cat "$d/$f")"; fi
  done
done`,
  );
  let memory: number | undefined;
  let pids: number | undefined;
  for (const line of text.trim().split("\n")) {
    const [file, value] = line.split(" ");
    if (!/^\d+$/.test(value ?? "") || Number(value) >= 2 ** 53) continue;
    if (file === "pids.max") pids = Number(value);
    else if (file !== undefined) memory = Number(value);
  }
  const parts: string[] = [];
  if (memory !== undefined) parts.push(`--memory ${memory / 1024 ** 2}M`);
  if (pids !== undefined) parts.push(`--pids ${pids}`);
  return parts.join(", ");
}

/** Waits until serve is ready or has exited. */
async function settle(serve: ServeProcess): Promise<"ready" | "exited"> {
  try {
    await serve.ready(120_000);
    return "ready";
  } catch (error) {
    if (/exited before/.test(String(error))) return "exited";
    throw error;
  }
}

/** Runs doctor and then serve in `place` and asserts that they agree; doctor's checks. */
async function assertAgree(
  place: Place,
  name: string,
): Promise<DoctorCheck[] & { serveStderr: string }> {
  const doctor = await place.cli(["doctor", "-o", "json"]);
  assert.ok(doctor.stdout.startsWith("["), `doctor -o json printed no checks:\n${doctor.stderr}`);
  const checks = JSON.parse(doctor.stdout) as DoctorCheck[];
  const line = (check: string) => {
    const found = checks.filter((c) => c.check === check);
    assert.equal(found.length, 1, `doctor's "${check}" line: ${doctor.stdout}`);
    return found[0]!;
  };
  const serve = place.serve(["--name", name, "--listen", `127.0.0.1:${freePort()}`]);
  try {
    const outcome = await settle(serve);
    const said = `doctor said:\n${doctor.stdout}\nserve said:\n${serve.stderr()}`;
    if (doctor.code !== 0) {
      assert.equal(outcome, "exited", `doctor failed, serve ran; ${said}`);
      assert.equal((await serve.finished()).code, 1, said);
      const choice = line("runtime choice");
      assert.equal(choice.status, "fail", said);
      const reason = choice.found.replace(/^no runtime can run here: /, "");
      assert.ok(serve.stderr().includes(`error: No OCI runtime can run here: ${reason}\n`), said);
      // The hint line starts in lower case.
      const remedy = choice.remedy!.slice(1);
      assert.ok(
        serve.stderr().includes(`hint: ${choice.remedy![0]!.toLowerCase()}${remedy}\n`),
        said,
      );
      return Object.assign(checks, { serveStderr: serve.stderr() });
    }
    assert.equal(outcome, "ready", `doctor passed, serve failed; ${said}`);
    const runtime = /^serve would use (\w+)/.exec(line("runtime choice").found)?.[1];
    assert.match(serve.stderr(), new RegExp(`^Starting container "\\S+" with ${runtime}$`, "m"));
    const limits = line("resource limits");
    const applied = await appliedLimits(place, name);
    if (limits.status === "ok") {
      assert.doesNotMatch(serve.stderr(), /Running without/, said);
      assert.equal(
        `serve applies ${applied} (its defaults) to the container's cgroup`,
        limits.found,
      );
    } else {
      const [warning, promised = ""] = limits.found.split("; it applies ");
      assert.ok(serve.stderr().includes(`warning: ${warning}\n`), said);
      assert.equal(applied, promised, said);
    }
    // The running launch's bundle is in the runtime dir doctor named.
    const dir = /serve uses (\/[^\s,;]*)/.exec(line("runtime dir").found)?.[1];
    assert.ok(dir, line("runtime dir").found);
    await place.sh(`ls -d '${dir}/bundles/openshell-${name}-'*`);
    // The record is written just after the ready line: the program finds it then.
    let info = "";
    for (let i = 0; i < 100 && !/^served: /m.test(info); i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = (await place.cli(["gateway", "info", name])).stdout;
    }
    assert.match(info, /^served: +here/m, said);
    return Object.assign(checks, { serveStderr: serve.stderr() });
  } finally {
    await place.stopServe?.();
    await serve[Symbol.asyncDispose]();
  }
}

/** This host, as root or as the test user; `prelude` runs as root first (joining a cgroup). */
function hostPlace(
  sandbox: Sandbox,
  options: Pick<StartServeOptions, "user" | "prelude"> & { env?: Record<string, string> } = {},
): Place {
  return {
    cli: (args) => {
      let argv = options.user ? asUser(options.user, sharedCliArgv(args)) : cliArgv(args);
      if (options.prelude) argv = ["sh", "-c", `${options.prelude}\nexec "$@"`, "sh", ...argv];
      return runCommand(argv, { env: { ...sandbox.env, ...options.env }, cwd: sandbox.root });
    },
    serve: (args) => startServe(sandbox, args, options),
    sh: async (script) => {
      const result = await runCommand(["sh", "-c", script], { env: sandbox.env });
      assert.equal(result.code, 0, `${script}: ${result.stderr}`);
      return result.stdout;
    },
  };
}

Deno.test({
  name: "doctor and serve agree as root on this host: youki, every default limit applied",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const checks = await assertAgree(hostPlace(sandbox), uniqueGatewayName("agree-root"));
    assert.match(checks.find((c) => c.check === "resource limits")!.found, /^serve applies/);
  },
});

Deno.test({
  name: "doctor and serve agree for the test user without delegation: runc, no limits",
  ignore: missing !== undefined || !hybrid,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const checks = await assertAgree(
      hostPlace(sandbox, { user: TEST_USER }),
      uniqueGatewayName("agree-user"),
    );
    const limits = checks.find((c) => c.check === "resource limits")!;
    assert.equal(limits.status, "warn");
    assert.match(limits.found, /without a cgroup of its own/);
  },
});

Deno.test({
  name: "doctor and serve agree for the test user in a delegated subtree: youki, limits applied",
  ignore: missing !== undefined || !hybrid,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    await using delegated = await delegateV1Cgroup(user!);
    const checks = await assertAgree(
      hostPlace(sandbox, { user: TEST_USER, prelude: delegated.prelude }),
      uniqueGatewayName("agree-deleg"),
    );
    assert.match(checks.find((c) => c.check === "runtime choice")!.found, /use youki/);
    assert.equal(checks.find((c) => c.check === "resource limits")!.status, "ok");
  },
});

Deno.test({
  name: "a shared /tmp as XDG_RUNTIME_DIR: doctor and serve both use a private dir instead",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const shared = "/tmp/openshell";
    const existed = existsSync(shared);
    const name = uniqueGatewayName("agree-tmp");
    const checks = await assertAgree(
      hostPlace(sandbox, { user: TEST_USER, env: { XDG_RUNTIME_DIR: "/tmp" } }),
      name,
    );
    const dir = checks.find((c) => c.check === "runtime dir")!;
    assert.equal(dir.status, "warn");
    assert.match(dir.found, /^XDG_RUNTIME_DIR "\/tmp" belongs to uid 0 and is writable by others/);
    const used = /serve uses (\S+)$/.exec(dir.found)![1]!;
    assert.match(
      checks.serveStderr,
      new RegExp(`^warning: XDG_RUNTIME_DIR "/tmp" .* so it is ignored; using ${used}$`, "m"),
    );
    assert.notEqual(used, shared);
    assert.equal((await Deno.lstat(used)).uid, user!.uid);
    assert.equal((await Deno.lstat(used)).mode! & 0o077, 0);
    if (!existed) assert.equal(existsSync(shared), false, `${shared} was created`);
    await Deno.remove(`${used}/gateways/${name}`, { recursive: true }).catch(() => {});
  },
});

/**
 * The booted bookworm root as a place: the program is this checkout, bound read-only, run in
 * a system unit of its own as a service runs, inside the container's cgroup tree; with `user`
 * as that user (`User=`), its cgroup delegated to them or not (`Delegate=`).
 */
function bootedPlace(
  box: BootedRoot,
  sandbox: Sandbox,
  unit: string,
  user?: { name: string; uid: number; delegate: boolean },
): Place {
  const [deno, main] = user === undefined
    ? [realpathSync(Deno.execPath()), MAIN]
    : [SHARED_CHECKOUT.deno, SHARED_CHECKOUT.main];
  const variables = [
    `DENO_DIR=${denoDir()}`,
    `HOME=${user === undefined ? "/root" : `/home/${user.name}`}`,
    ...(user === undefined ? [] : [`XDG_RUNTIME_DIR=/run/user/${user.uid}`]),
    "NO_COLOR=1",
    "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  ];
  const as = user === undefined ? [] : [
    `--uid=${user.name}`,
    `--gid=${user.name}`,
    "-p",
    `Delegate=${user.delegate ? "yes" : "no"}`,
  ];
  const program = (extra: string[]) => [
    "systemd-run",
    "-q",
    "--pipe",
    "--wait",
    "--collect",
    "-p",
    "RuntimeMaxSec=300",
    ...as,
    ...extra,
    ...variables.flatMap((variable) => ["-E", variable]),
    deno,
    "run",
    "-A",
    "--quiet",
    main,
  ];
  return {
    cli: (args) => box.run([...program([]), ...args]),
    serve: (args) => startServe(sandbox, args, { program: box.argv(program([`--unit=${unit}`])) }),
    sh: (script) => box.must(["sh", "-c", script]),
    stopServe: async () => void await box.run(["systemctl", "stop", unit]),
  };
}

/** The host paths the program needs inside the container, read-only. */
function programBinds(): string[] {
  const paths = [
    REPO,
    dirname(realpathSync(Deno.execPath())),
    SHARED_CHECKOUT.repo,
    SHARED_CHECKOUT.deno,
    realpathSync(denoDir()),
    YOUKI,
  ];
  return [...new Set(paths)];
}

Deno.test({
  name: "doctor and serve agree in a booted bookworm on pure cgroup v2: root, an ordinary user",
  ignore: noNspawn !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using sandbox = await createServeSandbox();
    await using box = await bootDebianRoot({ unified: true, bindRo: programBinds() });
    const controllers = await box.must(["cat", "/sys/fs/cgroup/system.slice/cgroup.controllers"]);
    // On this hybrid host the container's cgroup2 has no controllers: no limit can apply.
    const noControllers = (checks: DoctorCheck[]) => {
      if (/\bmemory\b/.test(controllers)) return;
      const limits = checks.find((c) => c.check === "resource limits")!;
      assert.equal(limits.status, "warn");
      assert.match(limits.found, /controller\(s\) memory, pids are not available/);
    };
    await t.step("root, in a system unit", async () => {
      const place = bootedPlace(box, sandbox, "agree-v2");
      noControllers(await assertAgree(place, uniqueGatewayName("agree-v2")));
    });
    const alice = { name: "alice", uid: await addLingeringUser(box, "alice") };
    await t.step("an ordinary user's service, its cgroup delegated to them", async () => {
      const user = { ...alice, delegate: true };
      const place = bootedPlace(box, sandbox, "agree-v2-deleg", user);
      const checks = await assertAgree(place, uniqueGatewayName("agree-v2-deleg"));
      assert.match(checks.find((c) => c.check === "runtime choice")!.found, /use youki/);
      noControllers(checks);
    });
    await t.step("an ordinary user's service, its cgroup not delegated", async () => {
      const user = { ...alice, delegate: false };
      const place = bootedPlace(box, sandbox, "agree-v2-user", user);
      const checks = await assertAgree(place, uniqueGatewayName("agree-v2-user"));
      const limits = checks.find((c) => c.check === "resource limits")!;
      assert.equal(limits.status, "warn");
      assert.match(limits.found, /your cgroup2 subtree is not delegated to you/);
    });
  },
});

Deno.test({
  name: "doctor and serve agree in a booted bookworm given read-only v1 controllers",
  ignore: noNspawn !== undefined || !hybrid,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using sandbox = await createServeSandbox();
    await using box = await bootDebianRoot({ unified: false, bindRo: programBinds() });
    await t.step("root: doctor fails, serve refuses", async () => {
      const place = bootedPlace(box, sandbox, "agree-v1");
      const checks = await assertAgree(place, uniqueGatewayName("agree-v1"));
      const choice = checks.find((c) => c.check === "runtime choice")!;
      assert.equal(choice.status, "fail");
      assert.match(choice.found, /read-only/);
      assert.equal(checks.find((c) => c.check === "cgroup delegation")!.status, "fail");
    });
    await t.step(
      "an ordinary user's service, youki alone: doctor fails, serve refuses",
      async () => {
        const user = { name: "alice", uid: await addLingeringUser(box, "alice"), delegate: false };
        const place = bootedPlace(box, sandbox, "agree-v1-user", user);
        const checks = await assertAgree(place, uniqueGatewayName("agree-v1-user"));
        const choice = checks.find((c) => c.check === "runtime choice")!;
        assert.match(choice.found, /without a delegated subtree, and no fallback runtime/);
      },
    );
  },
});
