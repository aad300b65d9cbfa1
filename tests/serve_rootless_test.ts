import assert from "node:assert/strict";
import { join } from "node:path";
import { callerCgroup, detectCgroupLayout } from "../src/runtime/_cgroup_path.ts";
import { delegateV1Cgroup } from "./_helpers/cgroup_delegation.ts";
import { freePort } from "./_helpers/loopback.ts";
import { onPath } from "./_helpers/run_command.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  gatewayPid,
  getJson,
  mtlsClient,
  processUid,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { runCommand } from "./_helpers/run_command.ts";
import { REPO } from "./_helpers/sandbox.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";

const user = await userIds(TEST_USER);
const layout = await detectCgroupLayout();
const missing = Deno.uid() !== 0
  ? "they run as root to switch to the test user and prepare cgroups"
  : !user
  ? `user "${TEST_USER}" does not exist (run scripts/setup.sh --test)`
  : !(await onPath("youki"))
  ? "youki is not installed"
  : undefined;
if (missing) console.error(`rootless serve tests skipped: ${missing}`);
const v1 = layout !== "unified";
if (!missing && !v1) {
  console.error("rootless v1 delegation tests skipped: this host mounts only cgroup2");
}

Deno.test({
  name: "rootless youki on a v1/hybrid host without delegation fails, explaining both remedies",
  ignore: missing !== undefined || !v1,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("nodeleg");
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${freePort()}`, "--runtime", "youki"],
      { user: TEST_USER },
    );
    const outcome = await serve.finished();
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(
      outcome.stderr,
      /^error: Rootless youki cannot create the gateway's cgroup: this host uses cgroup v1/m,
    );
    assert.match(outcome.stderr, /^hint: .*delegate a cgroup subtree.*`--runtime runc`/m);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name:
    "plain serve as an ordinary user on a v1/hybrid host without delegation runs under runc, saying why",
  ignore: missing !== undefined || !v1 || !(await onPath("runc")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("auto");
    const port = freePort();
    await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
      user: TEST_USER,
    });
    await serve.ready();
    assert.match(
      serve.stderr(),
      /^youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree; using runc$/m,
    );
    assert.match(serve.stderr(), /^Starting container "\S+" with runc$/m);
    assert.equal(await processUid(await gatewayPid(serve.child.pid)), user!.uid);
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "rootless serve without XDG_RUNTIME_DIR uses a private per-user dir under /tmp",
  ignore: missing !== undefined || !(await onPath("runc")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("notmp");
    const port = freePort();
    const fallback = `/tmp/openshell-${user!.uid}`;
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${port}`, "--runtime", "runc"],
      { user: TEST_USER, unset: ["XDG_RUNTIME_DIR"] },
    );
    const containerId = await serve.ready();
    const info = await Deno.lstat(fallback);
    assert.ok(info.isDirectory);
    assert.equal(info.uid, user!.uid);
    assert.equal(info.mode! & 0o777, 0o700);
    assert.ok(await Deno.stat(join(fallback, "bundles", containerId)).then(() => true));
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await serve.stop()).code, 0);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(join(fallback, "bundles"))), []);
  },
});

Deno.test({
  name: "rootless runc runs the gateway as the ordinary user on this host",
  ignore: missing !== undefined || !(await onPath("runc")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("runc");
    const port = freePort();
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${port}`, "--runtime", "runc"],
      { user: TEST_USER },
    );
    await serve.ready();
    assert.equal(await processUid(await gatewayPid(serve.child.pid)), user!.uid);
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "rootless youki runs in a delegated v1 cgroup subtree, nested in a per-launch leaf",
  ignore: missing !== undefined || !v1,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    await using delegated = await delegateV1Cgroup(user!);
    const name = uniqueGatewayName("deleg");
    const port = freePort();
    await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
      user: TEST_USER,
      prelude: delegated.prelude,
    });
    const containerId = await serve.ready();
    // Plain serve: with the delegation in place, youki can run, and is chosen.
    assert.doesNotMatch(serve.stderr(), /using runc/);
    assert.match(serve.stderr(), /^Starting container "\S+" with youki$/m);
    const pid = await gatewayPid(serve.child.pid);
    assert.equal(await processUid(pid), user!.uid);
    const memory = callerCgroup(await Deno.readTextFile(`/proc/${pid}/cgroup`), layout);
    assert.equal(memory, `${delegated.path}/${containerId}`);
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name:
    "rootless youki runs with a unified-cgroup view (a private mount namespace with only cgroup2)",
  ignore: missing !== undefined || !(await onPath("unshare")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("unified");
    const port = freePort();
    await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
      user: TEST_USER,
      privateMounts: true,
      prelude: v1 ? "mount -t cgroup2 none /sys/fs/cgroup" : "",
    });
    await serve.ready();
    assert.equal(await processUid(await gatewayPid(serve.child.pid)), user!.uid);
    const info = await getJson(`http://127.0.0.1:${port}/healthz`);
    assert.equal(info.status, 200);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

/** The README's delegation recipe for `user`: root's part, and the line for the user's shell. */
async function readmeDelegationRecipe(user: string): Promise<{ root: string; shell: string }> {
  const readme = await Deno.readTextFile(join(REPO, "README.md"));
  const block = /```sh\n(# as root, for user alice[\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README has the delegation recipe");
  const lines = block.replaceAll("alice", user).trimEnd().split("\n");
  const shell = lines.pop()!.replace(/^# then, in \S+ shell: /, "");
  return { root: lines.join("\n"), shell };
}

Deno.test({
  name: "with the README's delegation recipe, plain serve as an ordinary user uses youki",
  ignore: missing !== undefined || !v1,
  async fn() {
    const recipe = await readmeDelegationRecipe(TEST_USER);
    const delegated = `openshell-${TEST_USER}`;
    const dirs = async () =>
      (await Array.fromAsync(Deno.readDir("/sys/fs/cgroup"))).map((c) =>
        join("/sys/fs/cgroup", c.name, delegated)
      );
    try {
      const setup = await runCommand(["sh", "-c", recipe.root], { env: { PATH: "/usr/bin:/bin" } });
      assert.equal(setup.code, 0, setup.stderr);
      await using sandbox = await createServeSandbox(user!);
      const name = uniqueGatewayName("recipe");
      const port = freePort();
      await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
        user: TEST_USER,
        program: ["sh", "-c", `${recipe.shell}\nexec "$@"`, "sh", ...sharedCliArgv([])],
      });
      const containerId = await serve.ready();
      assert.doesNotMatch(serve.stderr(), /using runc/);
      assert.match(serve.stderr(), /^Starting container "\S+" with youki$/m);
      const pid = await gatewayPid(serve.child.pid);
      const memory = callerCgroup(await Deno.readTextFile(`/proc/${pid}/cgroup`), layout);
      assert.equal(memory, `/${delegated}/${containerId}`);
      assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.equal((await serve.stop()).code, 0);
      await assertNothingLeft(sandbox, name);
    } finally {
      for (const dir of await dirs()) await Deno.remove(dir).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "serve as an ordinary user registers an mTLS gateway its own status reaches, and refuses clients without its certificate",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("mtls");
    const port = freePort();
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${port}`, ...(v1 ? ["--runtime", "runc"] : [])],
      { user: TEST_USER, auth: "default" },
    );
    await serve.ready();
    assert.equal(await processUid(await gatewayPid(serve.child.pid)), user!.uid);
    const status = await runCommand(asUser(TEST_USER, sharedCliArgv(["status", "-o", "json"])), {
      env: sandbox.env,
      cwd: sandbox.root,
    });
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.server, `https://127.0.0.1:${port}`);
    assert.equal(report.status, "connected");
    assert.deepEqual(report.authentication, {
      status: "authenticated",
      provider: "mTLS transport",
    });
    using anonymous = await mtlsClient(sandbox, name, true);
    await assert.rejects(fetch(`https://127.0.0.1:${port}/healthz`, { client: anonymous }));
    const key = await Deno.stat(join(sandbox.config, "openshell/gateways", name, "mtls/tls.key"));
    assert.equal(key.uid, user!.uid);
    assert.equal(key.mode! & 0o777, 0o600);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});
