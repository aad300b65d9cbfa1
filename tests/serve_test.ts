import assert from "node:assert/strict";
import { connectionCap, tlsListenLimits } from "../src/server/_limits.ts";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { registryRoots } from "../src/registry/mod.ts";
import { addUserGateway } from "../src/register/mod.ts";
import { cliArgv, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { freePort } from "./_helpers/loopback.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  descendants,
  gatewayPid,
  getJson,
  mtlsClient,
  processArgv,
  processEnviron,
  processUid,
  rootServeTestsIgnored,
  serveRuntimeDir,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";

const ignore = await rootServeTestsIgnored("serve tests");

async function token(sandbox: Sandbox, name: string): Promise<string> {
  return (await Deno.readTextFile(join(sandbox.config, "openshell/gateways", name, "token")))
    .trim();
}

/**
 * Serves `name` over mTLS on `port` until it answers `/healthz` with the client files it
 * registered, stops it, and returns its stderr.
 */
async function serveOnceOverMtls(sandbox: Sandbox, name: string, port: number): Promise<string> {
  await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
    auth: "default",
  });
  await serve.ready();
  using client = await mtlsClient(sandbox, name);
  assert.equal(
    (await getJson(`https://127.0.0.1:${port}/healthz`, undefined, client)).status,
    200,
  );
  const outcome = await serve.stop();
  assert.equal(outcome.code, 0, outcome.stderr);
  return outcome.stderr;
}

/** Mount options per mount point, as the process sees them. */
async function mountOptions(pid: number): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>();
  for (const line of (await Deno.readTextFile(`/proc/${pid}/mountinfo`)).split("\n")) {
    const fields = line.split(" ");
    if (fields.length > 5) result.set(fields[4]!, fields[5]!.split(","));
  }
  return result;
}

Deno.test({
  name: "serve whose stderr reader went away exits 141 and still removes its bundle and secrets",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("pipe");
    // A warm cache: the first message is then the one after the bundle is staged.
    assert.equal((await runCli(sandbox, ["bundle", "unpack"])).code, 0);
    const [program, ...args] = cliArgv([
      "serve",
      "--name",
      name,
      "--listen",
      `127.0.0.1:${freePort()}`,
    ]);
    const child = new Deno.Command(program!, {
      args,
      env: sandbox.env,
      clearEnv: true,
      cwd: sandbox.root,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await child.stderr.cancel();
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const status = await child.status;
    clearTimeout(timer);
    assert.equal(status.code, 141);
    await assertNothingLeft(sandbox, name);
    assert.equal((await runCli(sandbox, ["gateway", "list", "-o", "json"])).stdout, "[]\n");
  },
});

Deno.test({
  name:
    "serve as root runs the gateway as host uid 65532 on a read-only root, registers it with mTLS and cleans up",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("root");
    const port = freePort();
    const gatewayDir = join(sandbox.config, "openshell/gateways", name);
    let firstPki: Record<string, string> | undefined;
    for (const round of [1, 2]) {
      await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
        auth: "default",
      });
      const containerId = await serve.ready();
      assert.match(containerId, new RegExp(`^openshell-${name}-[0-9a-f]{8}$`));
      const pid = await gatewayPid(serve.child.pid);
      assert.equal(await processUid(pid), 65532);
      const mounts = await mountOptions(pid);
      assert.ok(mounts.get("/")!.includes("ro"), "root is read-only");
      assert.ok(mounts.get("/tmp")!.includes("rw"), "/tmp is writable");
      assert.ok(mounts.get("/var/lib/openshell")!.includes("rw"), "state is writable");
      assert.ok(mounts.get("/run/openshell")!.includes("ro"), "secrets are read-only");
      assert.ok(!mounts.has("/sys/fs/cgroup"), "no cgroup mount");
      const limits = await Deno.readTextFile(`/proc/${pid}/limits`);
      const ownLimits = await Deno.readTextFile("/proc/self/limits");
      const hardFiles = (t: string) => Number(/^Max open files\s+\S+\s+(\S+)/m.exec(t)![1]);
      assert.ok(hardFiles(limits) <= hardFiles(ownLimits));

      const url = `https://127.0.0.1:${port}`;
      using client = await mtlsClient(sandbox, name);
      assert.deepEqual(await getJson(`${url}/healthz`, undefined, client), {
        status: 200,
        body: { ok: true },
      });
      // The client certificate is the login: no token is asked.
      const info = await getJson(`${url}/v1/info`, undefined, client);
      assert.equal(info.status, 200);
      assert.equal(info.body.name, name);
      assert.equal(info.body.starts, round, "the start counter survives restarts");
      using anonymous = await mtlsClient(sandbox, name, true);
      await assert.rejects(fetch(`${url}/healthz`, { client: anonymous }));
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
      // This CLI's status asks it as upstream's does: gRPC over mTLS.
      const status = await runCli(sandbox, ["-g", name, "status", "-o", "json"]);
      assert.equal(status.code, 0, status.stderr);
      const report = JSON.parse(status.stdout);
      assert.equal(report.status, "connected");
      assert.equal(report.version, denoJson.version);
      assert.deepEqual(report.authentication, {
        status: "authenticated",
        provider: "mTLS transport",
      });

      // The PKI is made once and reused by the next serve of the name.
      const pki: Record<string, string> = {};
      for (const file of ["mtls/ca.crt", "mtls/tls.crt", "mtls/tls.key", "server-tls/tls.key"]) {
        pki[file] = await Deno.readTextFile(join(gatewayDir, file));
      }
      if (firstPki) assert.deepEqual(pki, firstPki, "the second serve reuses the PKI");
      else assert.doesNotMatch(serve.stderr(), /Generating new TLS certificates/);
      firstPki = pki;

      const outcome = await serve.stop("SIGTERM");
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.match(outcome.stderr, new RegExp(`Gateway "${name}" stopped`));
      const logs = outcome.stdout.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(logs.map((l) => l.msg).filter((m) => m !== "Request"), [
        "Listening",
        "Shutting down",
        "Stopped",
      ]);
      assert.equal(logs[0].tls, "mtls");
      // The connection cap follows the descriptor limit the container got (over TLS, leaving
      // room for the listener's queue).
      const openFiles = hardFiles(limits);
      assert.equal(
        logs[0].max_connections,
        tlsListenLimits(openFiles, connectionCap(openFiles)).cap,
      );
      await assertNothingLeft(sandbox, name);
    }
    const metadata = JSON.parse(await Deno.readTextFile(join(gatewayDir, "metadata.json")));
    assert.deepEqual(metadata, {
      name,
      gateway_endpoint: `https://127.0.0.1:${port}`,
      is_remote: false,
      gateway_port: port,
      auth_mode: "mtls",
    });
    assert.equal(
      await Deno.readTextFile(join(sandbox.config, "openshell/active_gateway")),
      name,
    );
    const mode = async (path: string) => (await Deno.stat(join(gatewayDir, path))).mode! & 0o777;
    assert.equal(await mode("token"), 0o600);
    for (const dir of ["mtls", "server-tls"]) assert.equal(await mode(dir), 0o700, dir);
    for (const key of ["mtls/tls.key", "server-tls/tls.key"]) assert.equal(await mode(key), 0o600);
  },
});

Deno.test({
  name:
    "serve makes a new PKI when a file of the stored one is missing or does not match, saying why",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("pki");
    const port = freePort();
    const gatewayDir = join(sandbox.config, "openshell/gateways", name);
    const serveOnce = async () => ({
      stderr: await serveOnceOverMtls(sandbox, name, port),
      ca: await Deno.readTextFile(join(gatewayDir, "mtls/ca.crt")),
    });
    const first = await serveOnce();
    assert.doesNotMatch(first.stderr, /Generating new TLS certificates/);

    await Deno.remove(join(gatewayDir, "server-tls/tls.crt"));
    const second = await serveOnce();
    assert.match(
      second.stderr,
      new RegExp(
        `^Generating new TLS certificates for "${name}": ".*/server-tls/tls\\.crt" is missing$`,
        "m",
      ),
    );
    assert.notEqual(second.ca, first.ca);

    // A client certificate of another CA: the stored one no longer matches.
    const foreign = join(gatewayDir, "mtls/tls.crt");
    await Deno.writeTextFile(
      foreign,
      await Deno.readTextFile(join(gatewayDir, "server-tls/tls.crt")),
    );
    await Deno.writeTextFile(join(gatewayDir, "mtls/ca.crt"), first.ca);
    const third = await serveOnce();
    assert.match(
      third.stderr,
      new RegExp(
        `^Generating new TLS certificates for "${name}": the server certificate is not signed by the CA or not valid now$`,
        "m",
      ),
    );
    assert.notEqual(third.ca, second.ca);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name:
    "serve takes a stored PKI on its recorded check until a file changes or the record's window ends",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("pkr");
    const port = freePort();
    const record = join(sandbox.cache, "openshell/pki-checks", `${name}.json`);
    const serveOnce = () => serveOnceOverMtls(sandbox, name, port);
    const readRecord = async () =>
      JSON.parse(await Deno.readTextFile(record)) as { key: string; from: number; until: number };
    await serveOnce(); // makes the PKI: nothing checked, nothing recorded
    await assert.rejects(Deno.stat(record), Deno.errors.NotFound);
    await serveOnce(); // checks the stored PKI in full and records the pass
    const checked = await readRecord();
    assert.ok(checked.from <= Date.now() && Date.now() < checked.until);
    assert.equal(((await Deno.stat(record)).mode ?? 0) & 0o777, 0o600);

    // A record of the same files, still in its window, is taken as it is...
    const later = { ...checked, until: Date.now() + 3_600_000 };
    await Deno.writeTextFile(record, JSON.stringify(later));
    await serveOnce();
    assert.deepEqual(await readRecord(), later);
    // ...one whose window has ended is not: the PKI is checked in full and recorded again.
    await Deno.writeTextFile(record, JSON.stringify({ ...checked, until: Date.now() - 1 }));
    await serveOnce();
    assert.deepEqual(await readRecord(), checked);
    // A changed file is checked in full: here it no longer matches, and a new PKI is made.
    const gatewayDir = join(sandbox.config, "openshell/gateways", name);
    await Deno.writeTextFile(record, JSON.stringify(later));
    await Deno.writeTextFile(
      join(gatewayDir, "mtls/tls.crt"),
      await Deno.readTextFile(join(gatewayDir, "server-tls/tls.crt")),
    );
    assert.match(await serveOnce(), /^Generating new TLS certificates for /m);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "serve --auth token registers a plaintext gateway that asks for the API token",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("tok");
    const port = freePort();
    await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`]);
    await serve.ready();
    const url = `http://127.0.0.1:${port}`;
    assert.deepEqual(await getJson(`${url}/healthz`), { status: 200, body: { ok: true } });
    assert.equal((await getJson(`${url}/v1/info`)).status, 401);
    const info = await getJson(`${url}/v1/info`, await token(sandbox, name));
    assert.equal(info.status, 200);
    assert.equal(info.body.name, name);
    const status = await runCli(sandbox, ["-g", name, "status", "-o", "json"]);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout);
    assert.equal(report.status, "connected");
    assert.deepEqual(report.authentication, { status: "authenticated", provider: "API token" });
    assert.equal((await serve.stop()).code, 0);
    const metadata = JSON.parse(
      await Deno.readTextFile(join(sandbox.config, "openshell/gateways", name, "metadata.json")),
    );
    assert.equal(metadata.gateway_endpoint, url);
    assert.equal(metadata.auth_mode, "plaintext");
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name:
    "serve: the runtime sees only the env allowlist and no secret or key reaches any child's argv, environ or log",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("env");
    const secret = `secret-${crypto.randomUUID()}`;
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${freePort()}`],
      {
        env: { GITHUB_TOKEN: secret, LISTEN_FDS: "3", OPENSHELL_API_KEY: secret, LANG: "C.UTF-8" },
        auth: "default",
      },
    );
    await serve.ready();
    const apiToken = await token(sandbox, name);
    // The base64 body of each private key, in pieces as long as a PEM line.
    const keyLines = [
      await Deno.readTextFile(join(sandbox.config, "openshell/gateways", name, "mtls/tls.key")),
      await Deno.readTextFile(
        join(sandbox.config, "openshell/gateways", name, "server-tls/tls.key"),
      ),
    ].flatMap((pem) => pem.split("\n").filter((line) => line && !line.startsWith("-----")));
    assert.ok(keyLines.length >= 4);
    const children = await descendants(serve.child.pid);
    const runtimePid = children.find((pid) => pid !== undefined)!;
    const runtimeEnv = await processEnviron(runtimePid);
    assert.deepEqual(Object.keys(runtimeEnv).sort(), ["HOME", "LANG", "PATH", "XDG_RUNTIME_DIR"]);
    // The runtime itself, the launcher's child, leads a session and process group of its own.
    const stat = await Deno.readTextFile(`/proc/${runtimePid}/stat`);
    const [parent, group, session] = stat.slice(stat.lastIndexOf(")") + 4).split(" ").map(Number);
    assert.deepEqual({ parent, group, session }, {
      parent: serve.child.pid,
      group: runtimePid,
      session: runtimePid,
    });
    assert.ok((await processArgv(runtimePid)).includes("--bundle"), "that child is the runtime");
    for (const pid of children) {
      const argv = await processArgv(pid).catch(() => [] as string[]);
      const environ = await processEnviron(pid).catch(() => ({}));
      const text = [...argv, ...Object.entries(environ).map(([k, v]) => `${k}=${v}`)].join("\n");
      assert.ok(!text.includes(secret), `pid ${pid} carries the user's secret`);
      assert.ok(!text.includes(apiToken), `pid ${pid} carries the API token`);
      for (const line of keyLines) assert.ok(!text.includes(line), `pid ${pid} carries a key`);
    }
    const outcome = await serve.stop();
    assert.equal(outcome.code, 0);
    for (const line of [apiToken, ...keyLines]) {
      assert.ok(!outcome.stdout.includes(line) && !outcome.stderr.includes(line), "a log has it");
    }
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "serve: two gateways at once on different ports; a second instance of one name is refused",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const [a, b] = [uniqueGatewayName("two-a"), uniqueGatewayName("two-b")];
    const [portA, portB] = [freePort(), freePort()];
    await using first = startServe(sandbox, ["--name", a, "--listen", `127.0.0.1:${portA}`]);
    await using second = startServe(sandbox, ["--name", b, "--listen", `127.0.0.1:${portB}`]);
    await Promise.all([first.ready(), second.ready()]);
    for (const [name, port] of [[a, portA], [b, portB]] as const) {
      const info = await getJson(`http://127.0.0.1:${port}/v1/info`, await token(sandbox, name));
      assert.equal(info.body.name, name);
    }
    // Where it is registered: another address would be refused as moving its registration.
    const again = startServe(sandbox, ["--name", a]);
    const refused = await again.finished();
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`error: Gateway "${a}" is already being served`));
    assert.match(refused.stderr, /hint: its launcher is pid \d+/);
    assert.equal((await first.stop()).code, 0);
    assert.equal((await second.stop("SIGINT")).code, 0);
    await assertNothingLeft(sandbox, a);
    await assertNothingLeft(sandbox, b);
  },
});

Deno.test({
  name: "serve: ten launches in a row leave no bundle, container state, cgroup or secret behind",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("ten");
    const port = freePort();
    for (let i = 0; i < 10; i++) {
      await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`]);
      await serve.ready();
      assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.equal((await serve.stop()).code, 0);
      await assertNothingLeft(sandbox, name);
    }
    const state = JSON.parse(
      await Deno.readTextFile(
        join(sandbox.state, "openshell/gateways", name, "gateway_state.json"),
      ),
    );
    assert.equal(state.starts, 10);
  },
});

Deno.test({
  name: "serve killed with -9 is cleaned up and replaced by the next serve of that name",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("kill9");
    const port = freePort();
    await using killed = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`]);
    const staleId = await killed.ready();
    const oldGateway = await gatewayPid(killed.child.pid);
    const outcome = await killed.stop("SIGKILL");
    assert.equal(outcome.code, 137);
    // The orphaned container still holds the port: the next serve must clean it up first.
    await using next = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`]);
    await next.waitForStderr(new RegExp(`Cleaning up container "${staleId}"`));
    const freshId = await next.ready();
    assert.notEqual(freshId, staleId);
    assert.equal(await Deno.stat(`/proc/${oldGateway}`).then(() => true, () => false), false);
    const info = await getJson(`http://127.0.0.1:${port}/v1/info`, await token(sandbox, name));
    assert.equal(info.body.starts, 2);
    assert.equal((await next.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name:
    "serve errors: bad --listen, missing runtime, port in use, unwritable state dir, foreign name",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("err");
    const run = async (args: string[], env: Record<string, string> = {}) => {
      await using serve = startServe(sandbox, ["--name", name, ...args], { env });
      return await serve.finished();
    };
    for (const listen of ["8090", "127.0.0.1:99999", "127.0.0.1:80", "[::1:8090"]) {
      const bad = await run(["--listen", listen]);
      assert.equal(bad.code, 2, listen);
      assert.match(bad.stderr, /^error: invalid listen address/m, listen);
    }
    const port = `127.0.0.1:${freePort()}`;
    const missing = await run(["--listen", port, "--runtime-path", "/nonexistent/youki"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /error: OCI runtime "\/nonexistent\/youki" is not an executable/);
    assert.match(
      missing.stderr,
      /hint: install youki 0\.7\.0 with `[^`]+\/scripts\/install-youki\.sh'?`/,
    );
    const notOnPath = await run(["--listen", port, "--runtime", "crun"], { PATH: "/nonexistent" });
    assert.equal(notOnPath.code, 1);
    assert.match(notOnPath.stderr, /error: OCI runtime "crun" not found on PATH/);

    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const taken = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
      const inUse = await run(["--listen", taken]);
      assert.equal(inUse.code, 1);
      assert.match(inUse.stderr, new RegExp(`error: Address "${taken}" is already in use`));
    } finally {
      listener.close();
    }
    const file = join(sandbox.root, "a-file");
    await Deno.writeTextFile(file, "");
    const unwritable = await run(["--listen", port, "--state-dir", join(file, "state")]);
    assert.equal(unwritable.code, 1);
    assert.match(unwritable.stderr, /error: State dir ".*a-file\/state" is not writable/);

    const foreign = uniqueGatewayName("foreign");
    const roots = registryRoots((n) => sandbox.env[n], Deno.uid()!, () => {});
    const entry = {
      name: foreign,
      gateway_endpoint: "https://corp.example:8443",
      is_remote: true,
      gateway_port: 8443,
      auth_mode: "mtls",
    };
    await addUserGateway(roots, entry);
    const metadataPath = join(sandbox.config, "openshell/gateways", foreign, "metadata.json");
    const before = await Deno.readTextFile(metadataPath);
    const refused = await run(["--listen", port, "--name", foreign]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(`error: Gateway "${foreign}" is already registered and was not created by serve`),
    );
    assert.match(refused.stderr, /hint: pick another name with --name/);
    assert.equal(await Deno.readTextFile(metadataPath), before);
    for (const n of [name, foreign]) await assertNothingLeft(sandbox, n);
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(join(serveRuntimeDir(sandbox), "bundles"))).catch(
        () => [],
      )).filter((e) => e.name.startsWith(`openshell-${name}-`)),
      [],
    );
  },
});

Deno.test({
  name: "serve rebuilds a rootfs cache entry whose file was changed with its size kept",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("corrupt");
    const port = `127.0.0.1:${freePort()}`;
    {
      await using serve = startServe(sandbox, ["--name", name, "--listen", port]);
      await serve.ready();
      await serve.stop();
    }
    // Same size and mode, different bytes: only the content check can tell.
    const cache = join(sandbox.cache, "openshell/rootfs");
    const [digest] = await Array.fromAsync(Deno.readDir(cache), (e) => e.name).then((n) =>
      n.filter((x) => /^[0-9a-f]{64}$/.test(x))
    );
    const libc = join(cache, digest!, "rootfs/lib/x86_64-linux-gnu/libc.so.6");
    const info = await Deno.stat(libc);
    await Deno.chmod(libc, 0o644);
    await Deno.writeFile(libc, new Uint8Array(info.size));
    await Deno.chmod(libc, info.mode! & 0o777);
    await using serve = startServe(sandbox, ["--name", name, "--listen", port]);
    await serve.waitForStderr(
      /Rebuilding damaged rootfs cache entry .*libc\.so\.6" does not match/,
    );
    await serve.ready();
    assert.equal((await serve.stop()).code, 0);
    assert.notDeepEqual(await Deno.readFile(libc), new Uint8Array(info.size));
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "serve cleans up and says so when the gateway crashes or the runtime fails",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("crash");
    const port = `127.0.0.1:${freePort()}`;
    {
      await using serve = startServe(sandbox, ["--name", name, "--listen", port]);
      await serve.ready();
      Deno.kill(await gatewayPid(serve.child.pid), "SIGKILL");
      const outcome = await serve.finished();
      assert.equal(outcome.code, 1);
      assert.match(
        outcome.stderr,
        new RegExp(`error: Gateway "${name}" exited on its own with status \\d+`),
      );
      await assertNothingLeft(sandbox, name);
    }
    const fake = join(sandbox.root, "broken-runtime");
    await Deno.writeTextFile(
      fake,
      "#!/bin/sh\necho 'ERROR youki: cannot frobnicate the bundle' >&2\nexit 3\n",
      { mode: 0o755 },
    );
    await using broken = startServe(sandbox, [
      "--name",
      name,
      "--listen",
      port,
      "--runtime-path",
      fake,
    ]);
    const failed = await broken.finished();
    assert.equal(failed.code, 1);
    assert.match(
      failed.stderr,
      /error: OCI runtime youki failed with status 3: ERROR youki: cannot frobnicate the bundle/,
    );
    await assertNothingLeft(sandbox, name);
  },
});
