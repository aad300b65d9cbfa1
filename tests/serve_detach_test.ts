import assert from "node:assert/strict";
import { join } from "node:path";
import { registryRoots } from "../src/registry/mod.ts";
import { addUserGateway } from "../src/register/mod.ts";
import { processStart } from "../src/serve/served_record.ts";
import { freePort, portFree } from "./_helpers/loopback.ts";
import { cliArgv, type CliResult, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  descendants,
  servedRecordPath,
  serveGatewayHome,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { servedRecordFor } from "./_helpers/served_record_fixture.ts";
import { onPath, runCommand } from "./_helpers/run_command.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";

const user = await userIds(TEST_USER);
const missing = Deno.uid() !== 0
  ? "they run youki as root and switch to the test user"
  : !(await onPath("youki"))
  ? "youki is not installed"
  : undefined;
if (missing) console.error(`detached serve tests skipped: ${missing}`);

/** Runs the CLI in `sandbox`, as root or as the test user. */
type Run = (args: string[]) => Promise<CliResult>;
const asRoot = (sandbox: Sandbox): Run => (args) => runCli(sandbox, args);
const asTestUser = (sandbox: Sandbox): Run => (args) =>
  runCommand(asUser(TEST_USER, sharedCliArgv(args)), { env: sandbox.env, cwd: sandbox.root });

/** Ends, by pid, a launcher a failed test left running in the background. */
function launcherGuard(sandbox: Sandbox, name: string): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      const record = await Deno.readTextFile(servedRecordPath(sandbox, name)).then(
        JSON.parse,
        () => undefined,
      );
      if (
        record === undefined ||
        (await processStart(record.pid)) !== (record.pid_start ?? record.pidStart)
      ) return;
      const below = await descendants(record.pid);
      Deno.kill(record.pid, "SIGTERM");
      for (let i = 0; i < 150 && (await processStart(record.pid)) !== undefined; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const pid of [record.pid, ...below]) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch { /* gone */ }
      }
    },
  };
}

async function curlStatus(url: string): Promise<string> {
  const result = await new Deno.Command("curl", {
    args: ["-s", "-o", "/dev/null", "-w", "%{http_code}", url],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(result.stdout);
}

/** `gateway logs NAME -f -n 0` running in `sandbox`, its output gathered as it comes. */
async function followLogs(sandbox: Sandbox, name: string) {
  const child = new Deno.Command(cliArgv([])[0]!, {
    args: cliArgv(["gateway", "logs", name, "-f", "-n", "0"]).slice(1),
    env: sandbox.env,
    clearEnv: true,
    cwd: sandbox.root,
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let text = "";
  const reading = (async () => {
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) text += chunk;
  })();
  await new Promise((r) => setTimeout(r, 1500)); // it is reading
  return {
    text: () => text,
    /** Ctrl-C; resolves to its exit status. */
    async interrupt() {
      child.kill("SIGINT");
      const { code } = await child.status;
      await reading;
      return code;
    },
    /** Its exit status once it returns by itself (or after `ms`, when it is interrupted). */
    async returned(ms = 5000) {
      const timer = setTimeout(() => child.kill("SIGINT"), ms);
      const { code, signal } = await child.status;
      clearTimeout(timer);
      await reading;
      return signal === null && code === 0 ? "returned" : `interrupted (${code})`;
    },
  };
}

/** The whole detached life of one gateway: serve, list, curl, info, logs, stop. */
async function detachedRoundTrip(
  sandbox: Sandbox,
  run: Run,
  options: { extra?: string[]; runtime: string; follow?: boolean },
) {
  const name = uniqueGatewayName("det");
  const port = freePort();
  await using _guard = launcherGuard(sandbox, name);
  const served = await run([
    "serve",
    "--auth",
    "token",
    "--detach",
    "--name",
    name,
    "--listen",
    `127.0.0.1:${port}`,
    ...(options.extra ?? []),
  ]);
  assert.equal(served.code, 0, served.stderr);
  assert.match(
    served.stderr,
    new RegExp(
      `^Gateway "${name}" is ready at http://127\\.0\\.0\\.1:${port} \\(container openshell-${name}-[0-9a-f]{8}\\)$`,
      "m",
    ),
  );
  assert.match(served.stderr, new RegExp(`^Stop it with: openshell gateway stop ${name}$`, "m"));
  const logPath = /^Log: (\S+)/m.exec(served.stderr)![1]!;

  const record = JSON.parse(await Deno.readTextFile(servedRecordPath(sandbox, name)));
  const stat = await Deno.readTextFile(`/proc/${record.pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  assert.equal(Number(fields[3]), record.pid, "the launcher leads its own session");
  assert.equal(Number(fields[4]), 0, "the launcher has no controlling terminal");

  const list = await run(["gateway", "list", "-o", "json"]);
  assert.equal(list.code, 0, list.stderr);
  const row = (JSON.parse(list.stdout) as Record<string, unknown>[]).find((r) => r.name === name)!;
  assert.deepEqual(Object.keys(row).sort(), [
    "active",
    "auth",
    "endpoint",
    "is_remote",
    "name",
    "remote_host",
    "resolved_host",
    "served",
    "source",
    "type",
  ]);
  assert.equal(row.served, true, "a detached gateway is listed as served");
  assert.equal(await curlStatus(`http://127.0.0.1:${port}/healthz`), "200");
  const doctor = await run(["doctor", "-o", "json", "--listen", `127.0.0.1:${port}`]);
  const portCheck = JSON.parse(doctor.stdout).find((c: { check: string }) =>
    c.check === "listen port"
  );
  assert.equal(portCheck.status, "warn");
  assert.match(portCheck.found, new RegExp(`in use \\(by gateway "${name}", served here\\)$`));

  const info = await run(["gateway", "info", name]);
  assert.equal(info.code, 0, info.stderr);
  assert.match(
    info.stdout,
    new RegExp(`^served: +here, launcher pid ${record.pid}, up \\d+s$`, "m"),
  );
  assert.match(info.stdout, new RegExp(`^container: +openshell-${name}-[0-9a-f]{8}$`, "m"));
  assert.match(info.stdout, new RegExp(`^runtime: +${options.runtime} \\(/`, "m"));
  assert.match(info.stdout, new RegExp(`^log: +${logPath}$`, "m"));
  assert.match(
    info.stdout,
    new RegExp(`^token: +${join(sandbox.config, "openshell/gateways", name, "token")}$`, "m"),
  );
  const infoJson = JSON.parse((await run(["gateway", "info", name, "-o", "json"])).stdout);
  assert.equal(infoJson.served.pid, record.pid);

  const logs = await run(["gateway", "logs", name]);
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /^\{.*"msg":"Listening"/m);
  assert.match(logs.stdout, new RegExp(`^Gateway "${name}" is ready at`, "m"));
  const last = await run(["gateway", "logs", name, "-n", "1"]);
  assert.equal(last.stdout.split("\n").filter((l) => l !== "").length, 1);

  const follower = options.follow ? await followLogs(sandbox, name) : undefined;

  const stopped = await run(["gateway", "stop", name]);
  assert.equal(stopped.code, 0, stopped.stderr);
  assert.match(stopped.stderr, new RegExp(`^Gateway "${name}" stopped$`, "m"));
  assert.equal(await processStart(record.pid), undefined, "the launcher is gone");
  await assertNothingLeft(sandbox, name);
  assert.ok(portFree(port), "the port is free again");
  assert.equal(
    await Deno.stat(servedRecordPath(sandbox, name)).catch(() => undefined),
    undefined,
  );

  if (follower) {
    assert.equal(await follower.returned(), "returned", "following ends with the gateway");
    assert.match(follower.text(), /"msg":"Shutting down"/);
    assert.match(follower.text(), /"msg":"Stopped"/);
    assert.match(follower.text(), new RegExp(`Gateway "${name}" stopped`));
    assert.doesNotMatch(follower.text(), /"msg":"Listening"/, "-n 0 starts at the end");
  }
  const again = await run(["gateway", "stop", name]);
  assert.equal(again.code, 0, "stopping a stopped gateway is done");
  assert.match(again.stderr, new RegExp(`^Gateway "${name}" is already stopped$`, "m"));
  const afterLogs = await run(["gateway", "logs", name]);
  assert.match(afterLogs.stdout, /"msg":"Stopped"/, "the log outlives the gateway");
}

Deno.test({
  name: "serve --detach as root: ready, listed, healthy, logged, followed, stopped, nothing left",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    await detachedRoundTrip(sandbox, asRoot(sandbox), { runtime: "youki", follow: true });
  },
});

Deno.test({
  name: "serve --detach as the ordinary test user with runc: the same life, nothing left",
  ignore: missing !== undefined || !user || !(await onPath("runc")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    await detachedRoundTrip(sandbox, asTestUser(sandbox), {
      runtime: "runc",
      extra: ["--runtime", "runc"],
    });
  },
});

Deno.test({
  name: "serve --detach that fails before ready exits 1 with the error, leaving nothing",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("detfail");
    await using _guard = launcherGuard(sandbox, name);
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const taken = `127.0.0.1:${listener.addr.port}`;
    const result = await runCli(sandbox, ["serve", "--detach", "--name", name, "--listen", taken]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^error: Address "${taken}" is already in use$`, "m"));
    assert.match(result.stderr, /^hint: /m);
    await assertNothingLeft(sandbox, name);
    assert.equal(
      await Deno.stat(join(sandbox.state, "openshell/logs", name)).catch(() => undefined),
      undefined,
    );
    assert.equal(
      await Deno.stat(servedRecordPath(sandbox, name)).catch(() => undefined),
      undefined,
    );
    const usage = await runCli(sandbox, [
      "serve",
      "-d",
      "--name",
      name,
      "--listen",
      "127.0.0.1:80",
    ]);
    assert.equal(usage.code, 2, "a usage error keeps its status");
    assert.match(
      usage.stderr,
      /^error: invalid listen address "127\.0\.0\.1:80": port below 1024$/m,
    );
  },
});

Deno.test({
  name: "gateway stop ends a serve running in another terminal",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("fg");
    await using serve = startServe(sandbox, [
      "--name",
      name,
      "--listen",
      `127.0.0.1:${freePort()}`,
    ]);
    await serve.ready();
    await new Promise((r) => setTimeout(r, 100));
    const logs = await runCli(sandbox, ["gateway", "logs", name]);
    assert.equal(logs.code, 1);
    assert.match(logs.stderr, new RegExp(`error: Gateway "${name}" is served in the foreground`));
    const stopped = await runCli(sandbox, ["gateway", "stop", name]);
    assert.equal(stopped.code, 0, stopped.stderr);
    const outcome = await serve.finished();
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.match(outcome.stderr, new RegExp(`Gateway "${name}" stopped`));
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test("gateway stop refuses remote, system and unknown gateways and systemd units", async () => {
  await using sandbox = await createServeSandbox();
  const roots = registryRoots((n) => sandbox.env[n], Deno.uid()!, () => {});
  await addUserGateway(roots, {
    name: "corp",
    gateway_endpoint: "https://corp.example:8443",
    is_remote: true,
    gateway_port: 8443,
    auth_mode: "mtls",
  }, { activate: "always" });
  await Deno.mkdir(join(sandbox.system, "gateways/shared"), { recursive: true });
  await Deno.writeTextFile(
    join(sandbox.system, "gateways/shared/metadata.json"),
    JSON.stringify({
      name: "shared",
      gateway_endpoint: "http://127.0.0.1:8080",
      is_remote: false,
      gateway_port: 8080,
    }),
  );
  const remote = await runCli(sandbox, ["gateway", "stop", "corp"]);
  assert.equal(remote.code, 1);
  assert.match(
    remote.stderr,
    /^error: Gateway "corp" is remote \(https:\/\/corp\.example:8443\): it is not served here$/m,
  );
  const system = await runCli(sandbox, ["gateway", "stop", "shared"]);
  assert.equal(system.code, 1);
  assert.match(
    system.stderr,
    /^error: Gateway "shared" is a system gateway, not served by you here$/m,
  );
  const unknown = await runCli(sandbox, ["gateway", "stop", "nope"]);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^error: Gateway "nope" is not served on this machine$/m);
  const active = await runCli(sandbox, ["gateway", "stop"]);
  assert.equal(active.code, 1, "the active gateway is the default");
  assert.match(active.stderr, /^error: Gateway "corp" is remote/m);
  const badCount = await runCli(sandbox, ["gateway", "logs", "corp", "-n", "x"]);
  assert.equal(badCount.code, 2);
  assert.match(badCount.stderr, /^error: invalid line count "x"/m);

  // A launcher under a systemd unit is left to systemctl (a real process stands in for it).
  const unit = uniqueGatewayName("unit");
  const dir = join(serveGatewayHome(sandbox), "gateways", unit);
  const launcher = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(
      join(dir, "served.json"),
      JSON.stringify(
        await servedRecordFor(launcher.pid, {
          name: unit,
          unit: "openshell-gateway@unit.service",
        }),
      ),
    );
    const refused = await runCli(sandbox, ["gateway", "stop", unit]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `^error: Gateway "${unit}" runs under the systemd unit "openshell-gateway@unit\\.service"$`,
        "m",
      ),
    );
    assert.match(
      refused.stderr,
      /^hint: stop it with `systemctl (--user )?stop openshell-gateway@unit\.service`/m,
    );
    assert.notEqual(await processStart(launcher.pid), undefined, "the launcher was not signalled");
    const journal = await runCli(sandbox, ["gateway", "logs", unit]);
    assert.equal(journal.code, 1);
    assert.match(
      journal.stderr,
      new RegExp(`^error: Gateway "${unit}" is served by openshell-gateway@unit\\.service$`, "m"),
    );
    assert.match(
      journal.stderr,
      /^hint: its log is in the journal: `journalctl (--user )?-u openshell-gateway@unit\.service`$/m,
    );
  } finally {
    launcher.kill("SIGKILL");
    await launcher.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "gateway stop across users: root stops an ordinary user's gateway, not the reverse",
  ignore: missing !== undefined || !user || !(await onPath("runc")),
  async fn() {
    await using rootBox = await createServeSandbox();
    await using userBox = await createServeSandbox(user!);
    const [mine, theirs] = [uniqueGatewayName("root"), uniqueGatewayName("user")];
    await using _rootGuard = launcherGuard(rootBox, mine);
    await using _userGuard = launcherGuard(userBox, theirs);
    const serve = (run: Run, name: string, extra: string[] = []) =>
      run([
        "serve",
        "--auth",
        "token",
        "-d",
        "--name",
        name,
        "--listen",
        `127.0.0.1:${freePort()}`,
        ...extra,
      ]);
    assert.equal((await serve(asRoot(rootBox), mine)).code, 0);
    assert.equal((await serve(asTestUser(userBox), theirs, ["--runtime", "runc"])).code, 0);

    // The user, even pointed at root's runtime dir, finds only their own gateways.
    const denied = await runCommand(
      asUser(TEST_USER, sharedCliArgv(["gateway", "stop", mine])),
      { env: { ...userBox.env, XDG_RUNTIME_DIR: "/run" }, cwd: userBox.root },
    );
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, new RegExp(`^error: Gateway "${mine}" is not served`, "m"));

    // Root stops the user's gateway by its name, in its own environment.
    const stopped = await runCli(rootBox, ["gateway", "stop", theirs]);
    assert.equal(stopped.code, 0, stopped.stderr);
    await assertNothingLeft(userBox, theirs);
    assert.equal((await runCli(rootBox, ["gateway", "stop", mine])).code, 0);
    await assertNothingLeft(rootBox, mine);
  },
});

Deno.test({
  name: "gateway stop explains a launcher killed with -9; the next serve cleans up",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("k9");
    await using _guard = launcherGuard(sandbox, name);
    const listen = `127.0.0.1:${freePort()}`;
    await using killed = startServe(sandbox, ["--name", name, "--listen", listen]);
    const containerId = await killed.ready();
    assert.equal((await killed.stop("SIGKILL")).code, 137);
    const refused = await runCli(sandbox, ["gateway", "stop", name]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(
        `^error: Gateway "${name}" is not served: its launcher \\(pid ${killed.child.pid}\\) is gone and left container "${containerId}" behind$`,
        "m",
      ),
    );
    assert.match(
      refused.stderr,
      new RegExp(`^hint: the next \`openshell serve --name ${name}\` removes it first$`, "m"),
    );
    const next = await runCli(sandbox, [
      "serve",
      "--auth",
      "token",
      "--detach",
      "--name",
      name,
      "--listen",
      listen,
    ]);
    assert.equal(next.code, 0, next.stderr);
    assert.equal((await runCli(sandbox, ["gateway", "stop", name])).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "a detached gateway's log never passes its cap and logs -f misses no line across rotations",
  ignore: missing !== undefined,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("rot");
    await using _guard = launcherGuard(sandbox, name);
    const port = freePort();
    const cap = 64 * 1024;
    sandbox.env.OPENSHELL_LOG_MAX_BYTES = String(cap);
    const served = await runCli(sandbox, [
      "serve",
      "--auth",
      "token",
      "-d",
      "--name",
      name,
      "--listen",
      `127.0.0.1:${port}`,
    ]);
    assert.equal(served.code, 0, served.stderr);
    const logPath = /^Log: (\S+)/m.exec(served.stderr)![1]!;
    const follower = await followLogs(sandbox, name);
    // Each answered request other than a health check is one log line (~200 bytes): a flood
    // of them rotates the log several times while its size is sampled.
    const token = (await Deno.readTextFile(
      join(sandbox.config, "openshell/gateways", name, "token"),
    )).trim();
    let largest = 0;
    let flooding = true;
    const sampler = (async () => {
      while (flooding) {
        for (const path of [logPath, `${logPath}.1`]) {
          largest = Math.max(largest, (await Deno.stat(path).catch(() => undefined))?.size ?? 0);
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const requests = 2400;
    const worker = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/v1/info`, {
          headers: { authorization: `Bearer ${token}` },
        });
        assert.equal(response.status, 200);
        await response.body?.cancel();
      }
    };
    await Promise.all(Array.from({ length: 16 }, () => worker(requests / 16)));
    flooding = false;
    await sampler;
    assert.ok(largest <= cap, `the log reached ${largest} bytes against a ${cap}-byte cap`);
    assert.ok((await Deno.stat(`${logPath}.1`)).size > cap / 2, "it was rotated");
    const logged = () => follower.text().split('"path":"/v1/info"').length - 1;
    for (let i = 0; i < 100 && logged() < requests; i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(logged(), requests, "every line reached the follower once, across rotations");
    assert.equal(await follower.interrupt(), 0);
    assert.equal((await runCli(sandbox, ["gateway", "stop", name])).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name:
    "a user's served gateway is found by name from any of their shells, whatever XDG_RUNTIME_DIR says",
  ignore: missing !== undefined || !user || !(await onPath("runc")),
  async fn() {
    await using sandbox = await createServeSandbox(user!);
    const name = uniqueGatewayName("anysh");
    await using _guard = launcherGuard(sandbox, name);
    const withoutRuntimeDir = { ...sandbox.env };
    delete withoutRuntimeDir.XDG_RUNTIME_DIR;
    const served = await runCommand(
      asUser(
        TEST_USER,
        sharedCliArgv([
          "serve",
          "-d",
          "--name",
          name,
          "--runtime",
          "runc",
          "--listen",
          `127.0.0.1:${freePort()}`,
        ]),
      ),
      { env: withoutRuntimeDir, cwd: sandbox.root },
    );
    assert.equal(served.code, 0, served.stderr);
    // Another shell of the same user, with XDG_RUNTIME_DIR set.
    const run = asTestUser(sandbox);
    const info = await run(["gateway", "info", name]);
    assert.match(info.stdout, /^served: +here, launcher pid \d+/m);
    const logs = await run(["gateway", "logs", name]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /"msg":"Listening"/);
    const again = await run(["serve", "-d", "--name", name, "--runtime", "runc"]);
    assert.equal(again.code, 1, "a second launch of the name is refused");
    assert.match(
      again.stderr,
      new RegExp(`^error: Gateway "${name}" is already being served$`, "m"),
    );
    const stopped = await run(["gateway", "stop", name]);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stderr, new RegExp(`^Gateway "${name}" stopped$`, "m"));
    assert.deepEqual(
      await Array.fromAsync(Deno.readDir(join(serveGatewayHome(sandbox), "gateways", name))).catch(
        () => [],
      ),
      [],
      "no lock or record left",
    );
  },
});
