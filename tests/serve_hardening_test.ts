/**
 * The gateway container's seccomp filter and cgroup limits, proven from inside a running
 * container under youki and runc, as root and rootless: a probe makes each denied system call
 * for real, a fork loop runs into the pids limit, and the cgroup files show the limits.
 *
 * youki 0.7.0's `exec` does not apply the config's seccomp profile to the process it starts
 * (runc's does), so under youki the call probe runs as a container of its own made from the
 * config the launch staged; the fork loop goes through `exec` (it joins the cgroup), or for
 * rootless youki, whose `exec` cannot join the pid namespace, enters the container by nsenter.
 */
import assert from "node:assert/strict";
import { DENIED_SYSCALLS } from "../src/container/seccomp_profile.ts";
import { detectCgroupLayout } from "../src/runtime/_cgroup_path.ts";
import { delegateV1Cgroup } from "./_helpers/cgroup_delegation.ts";
import {
  cgroupLimits,
  enterProbe,
  execProbe,
  parseResults,
  type ProbeTarget,
  runProbeContainer,
  runSibling,
  seccompMode,
} from "./_helpers/container_probe.ts";
import { freePort } from "./_helpers/loopback.ts";
import { onPath } from "./_helpers/run_command.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  gatewayPid,
  getJson,
  type ServeProcess,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import type { Sandbox } from "./_helpers/sandbox.ts";
import { TEST_USER, userIds } from "./_helpers/test_users.ts";

const isRoot = Deno.uid() === 0;
const youki = await onPath("youki");
const runc = await onPath("runc");
const user = await userIds(TEST_USER);
const layout = await detectCgroupLayout();
const v1 = layout !== "unified";
if (!isRoot) console.error("hardening tests skipped: they run the runtimes as root");

const MiB = 1024 * 1024;

/** Every denied call fails with EPERM; clone3 with ENOSYS so libc falls back to clone. */
function assertDenied(stdout: string): void {
  const results = parseResults(stdout);
  const byName = new Map(results.map((r) => [r.name, r]));
  for (const name of [...DENIED_SYSCALLS, "clone"]) {
    assert.equal(byName.get(name)?.error, "EPERM", `${name}: ${JSON.stringify(byName.get(name))}`);
  }
  assert.equal(byName.get("clone3")?.error, "ENOSYS");
}

/**
 * Forks inside the container until the kernel refuses; while the children hold every pid the
 * limit allows, the gateway still answers and the host still starts processes.
 */
async function assertForkLoopStops(
  target: ProbeTarget,
  port: number,
  pids: number,
  start: (mode: string[]) => Deno.ChildProcess | Promise<Deno.ChildProcess> = (mode) =>
    execProbe(target, mode),
) {
  const probe = await start(["forks", "3000"]);
  const reader = probe.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  if (!text.startsWith("{")) {
    const stderr = await new Response(probe.stderr).text();
    throw new Error(`the fork probe did not start: ${text}${stderr}`);
  }
  const first = JSON.parse(text.split("\n")[0]!);
  assert.equal(first.error, "EAGAIN", text);
  assert.ok(first.forks > 0 && first.forks < pids, `${first.forks} forks under a ${pids} limit`);
  assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
  assert.ok((await new Deno.Command("true").output()).success, "the host still forks");
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
  }
  const status = await probe.status;
  await probe.stderr.cancel();
  assert.ok(status.success, text);
  assert.match(text, /"released":\d+/);
  assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
}

/** `serve`'s name and listen arguments. */
function at(name: string, port: number): string[] {
  return ["--name", name, "--listen", `127.0.0.1:${port}`];
}

/** Stops serve; it must exit 0 and leave nothing behind. */
async function stopCleanly(serve: ServeProcess, sandbox: Sandbox, name: string): Promise<void> {
  const outcome = await serve.stop();
  assert.equal(outcome.code, 0, outcome.stderr);
  await assertNothingLeft(sandbox, name);
}

async function ready(serve: ServeProcess): Promise<{ containerId: string; pid: number }> {
  const containerId = await serve.ready();
  return { containerId, pid: await gatewayPid(serve.child.pid) };
}

const LIMIT_ARGS = ["--memory", "256M", "--pids", "96", "--cpus", "1.5"];
const EXPECTED_LIMITS = {
  memory: String(256 * MiB),
  pids: "96",
  cpu: "150000 100000",
};

Deno.test({
  name: "youki as root: the gateway runs filtered and limited; denied calls fail with EPERM",
  ignore: !isRoot || !youki,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("seccomp");
    const port = freePort();
    await using serve = startServe(sandbox, [
      ...at(name, port),
      ...LIMIT_ARGS,
    ]);
    const { containerId, pid } = await ready(serve);
    assert.equal(await seccompMode(pid), 2);
    assert.deepEqual(await cgroupLimits(pid), EXPECTED_LIMITS);
    const target: ProbeTarget = { sandbox, runtime: "youki", containerId };
    assertDenied(await runProbeContainer(target, ["denied"]));
    await assertForkLoopStops(target, port, 96);
    assert.doesNotMatch(serve.stderr(), /warning/);
    await stopCleanly(serve, sandbox, name);
  },
});

Deno.test({
  name: "youki as root with --seccomp=unconfined: said on stderr; the kernel answers instead",
  ignore: !isRoot || !youki,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("unconf");
    const port = freePort();
    await using serve = startServe(sandbox, [
      ...at(name, port),
      "--seccomp=unconfined",
    ]);
    const { containerId, pid } = await ready(serve);
    assert.match(serve.stderr(), /^warning: seccomp is off \(--seccomp=unconfined\)/m);
    assert.equal(await seccompMode(pid), 0);
    const results = parseResults(
      await runProbeContainer({ sandbox, runtime: "youki", containerId }, ["denied"]),
    );
    // The control: unfiltered, these fail with the kernel's own errors, not EPERM.
    const kernel = Object.fromEntries(results.map((r) => [r.name, r.error]));
    for (const name of ["unshare", "setns", "clone", "clone3", "mount", "umount2", "keyctl"]) {
      assert.notEqual(kernel[name], "EPERM", `${name} without the filter`);
    }
    await stopCleanly(serve, sandbox, name);
  },
});

Deno.test({
  name: "runc as root: exec'd probe gets EPERM, fork loop stops at the pids limit",
  ignore: !isRoot || !runc,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("runcsec");
    const port = freePort();
    await using serve = startServe(sandbox, [
      ...at(name, port),
      "--runtime",
      "runc",
      ...LIMIT_ARGS,
    ]);
    const { containerId, pid } = await ready(serve);
    assert.equal(await seccompMode(pid), 2);
    assert.deepEqual(await cgroupLimits(pid), EXPECTED_LIMITS);
    const target: ProbeTarget = { sandbox, runtime: "runc", containerId };
    const probe = await execProbe(target, ["denied"]).output();
    assertDenied(new TextDecoder().decode(probe.stdout));
    await assertForkLoopStops(target, port, 96);
    await stopCleanly(serve, sandbox, name);
  },
});

Deno.test({
  name: "rootless runc: filtered; limits it cannot apply are named once on stderr",
  ignore: !isRoot || !runc || !user || !v1,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("rlrunc");
    const port = freePort();
    await using serve = startServe(
      sandbox,
      [...at(name, port), "--runtime", "runc"],
      { user: TEST_USER },
    );
    const { containerId, pid } = await ready(serve);
    assert.equal(await seccompMode(pid), 2);
    const warnings = serve.stderr().match(/^warning: .*$/gm) ?? [];
    assert.equal(warnings.length, 1, serve.stderr());
    assert.match(warnings[0]!, /without the --memory, --pids limit\(s\): .*without a cgroup/);
    const probe = await execProbe({ sandbox, runtime: "runc", containerId, user: TEST_USER }, [
      "denied",
    ]).output();
    assertDenied(new TextDecoder().decode(probe.stdout));
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    await stopCleanly(serve, sandbox, name);
  },
});

Deno.test({
  name: "rootless youki in a delegated v1 subtree: filtered and limited from inside",
  ignore: !isRoot || !youki || !user || !v1,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    await using delegated = await delegateV1Cgroup(user!);
    const name = uniqueGatewayName("rldeleg");
    const port = freePort();
    await using serve = startServe(
      sandbox,
      [...at(name, port), ...LIMIT_ARGS],
      { user: TEST_USER, prelude: delegated.prelude },
    );
    const { containerId, pid } = await ready(serve);
    assert.equal(await seccompMode(pid), 2);
    assert.deepEqual(await cgroupLimits(pid), EXPECTED_LIMITS);
    const target: ProbeTarget = { sandbox, runtime: "youki", containerId, user: TEST_USER };
    assertDenied(await runProbeContainer(target, ["denied"]));
    await assertForkLoopStops(target, port, 96, (mode) => enterProbe(pid, mode));
    await stopCleanly(serve, sandbox, name);
  },
});

Deno.test({
  name: "rootless youki with a unified-cgroup view: filtered; undelegated limits named once",
  ignore: !isRoot || !youki || !user || !(await onPath("unshare")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("rlunif");
    const port = freePort();
    await using serve = startServe(sandbox, at(name, port), {
      user: TEST_USER,
      privateMounts: true,
      prelude: v1 ? "mount -t cgroup2 none /sys/fs/cgroup" : "",
    });
    const { containerId, pid } = await ready(serve);
    assert.equal(await seccompMode(pid), 2);
    const warnings = serve.stderr().match(/^warning: .*$/gm) ?? [];
    assert.equal(warnings.length, 1, serve.stderr());
    assert.match(warnings[0]!, /without the --memory, --pids limit\(s\): .*not delegated/);
    const target: ProbeTarget = {
      sandbox,
      runtime: "youki",
      containerId,
      user: TEST_USER,
      mountNamespaceOf: serve.child.pid,
    };
    assertDenied(await runProbeContainer(target, ["denied"]));
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    await stopCleanly(serve, sandbox, name);
  },
});

Deno.test({
  name: "a profile that denies what the gateway needs makes it fail: the serve tests catch it",
  ignore: !isRoot || !youki,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("contract");
    const port = freePort();
    await using serve = startServe(sandbox, at(name, port));
    const { containerId } = await ready(serve);
    const target: ProbeTarget = { sandbox, runtime: "youki", containerId };
    // The gateway's own config on another port, once as staged and once without accept4.
    for (const withhold of [undefined, "accept4"]) {
      const other = freePort();
      const sibling = runSibling(target, withhold ?? "full", (config) => {
        config.process.args = config.process.args.map((a) =>
          a.replaceAll(`127.0.0.1:${port}`, `127.0.0.1:${other}`)
        );
        for (const rule of config.linux.seccomp!.syscalls) {
          rule.names = rule.names.filter((n) => n !== withhold);
        }
      });
      const child = await sibling.child;
      // Time enough for a start that works; the denied one would have answered by then too.
      const wait = withhold === undefined ? 15_000 : 5_000;
      const answered = await answers(`http://127.0.0.1:${other}/healthz`, wait);
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      // youki 0.7.0's `run` can hang once its container's init has died (a gateway that
      // cannot accept exits): the runtime is killed then.
      const killer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch { /* exited */ }
      }, 5_000);
      await sibling.output();
      clearTimeout(killer);
      assert.equal(answered, withhold === undefined, `gateway without ${withhold}`);
    }
    await stopCleanly(serve, sandbox, name);
  },
});

/** Whether `url` answers 200 within `ms`. */
async function answers(url: string, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await getJson(url).then((r) => r.status === 200, () => false);
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
