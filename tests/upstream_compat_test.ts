/**
 * Side by side with NVIDIA OpenShell, without its binary: what `gateway add` writes and
 * what `status -o json` prints, compared with the bytes upstream produces
 * (tests/testdata/upstream, taken from its code and tests), through the real CLI. With its
 * binary (`OPENSHELL_UPSTREAM_CLI`, built from source), its `status` and `gateway info`
 * against `openshell serve` with the default settings, as root and as the test user.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type CommandResult, runCommand } from "./_helpers/run_command.ts";
import { cliArgv, createSandbox, type Sandbox } from "./_helpers/sandbox.ts";
import { serveLoopback } from "./_helpers/loopback.ts";
import { makeCertificates, placeClientCertificates, serveHttps } from "./_helpers/certificates.ts";
import { serveGrpcGateway } from "./_helpers/grpc_gateway.ts";
import denoJson from "../deno.json" with { type: "json" };
import { freePort } from "./_helpers/loopback.ts";
import { onPath } from "./_helpers/run_command.ts";
import { createServeSandbox, startServe, uniqueGatewayName } from "./_helpers/serve_fixture.ts";
import { TEST_USER, userIds } from "./_helpers/test_users.ts";

const UPSTREAM = join(import.meta.dirname!, "testdata/upstream");

const upstream = (name: string) => Deno.readTextFile(join(UPSTREAM, name));

/** The CLI with the umask upstream's measurements assume (022). */
function cli(sandbox: Sandbox, args: string[], env: Record<string, string> = {}) {
  return runCommand(["sh", "-c", 'umask 022 && exec "$@"', "sh", ...cliArgv(args)], {
    env: { ...sandbox.env, ...env },
    cwd: sandbox.root,
  });
}

function ok(result: CommandResult): CommandResult {
  assert.equal(result.code, 0, result.stderr);
  return result;
}

/** `<mode> <path>` for everything under `root`, sorted, as in the mode golden files. */
async function modes(root: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (dir: string, rel: string) => {
    lines.push(`${((await Deno.stat(dir)).mode! & 0o777).toString(8)} ${rel || "."}`);
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const relative = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory) await walk(path, relative);
      else lines.push(`${((await Deno.stat(path)).mode! & 0o777).toString(8)} ${relative}`);
    }
  };
  await walk(root, "");
  return `${lines.sort((a, b) => (a.slice(4) < b.slice(4) ? -1 : 1)).join("\n")}\n`;
}

const metadataOf = (sandbox: Sandbox, name: string) =>
  Deno.readTextFile(join(sandbox.config, "openshell/gateways", name, "metadata.json"));

/** Client TLS material where a local gateway package leaves it. */
/** The package's client TLS material, as its service writes it: real certificates, since add checks them. */
async function packageTls(sandbox: Sandbox): Promise<string> {
  const dir = join(sandbox.state, "openshell/tls");
  const made = join(sandbox.root, "made-certs");
  await Deno.mkdir(made);
  const certs = await makeCertificates(made);
  await placeClientCertificates(certs, {
    ca: join(dir, "ca.crt"),
    cert: join(dir, "client/tls.crt"),
    key: join(dir, "client/tls.key"),
  });
  return dir;
}

Deno.test("gateway add writes upstream's bytes for every plaintext add", async (t) => {
  const cases: [string, string[]][] = [
    ["add_plaintext_loopback.json", ["http://127.0.0.1:8080"]],
    ["add_plaintext_trailing_slash.json", ["http://127.0.0.1:8080/", "--name", "slash"]],
    ["add_plaintext_host_name.json", ["http://10.0.0.5:9000"]],
    ["add_plaintext_localhost_subdomain.json", ["http://app.localhost:8080"]],
    ["add_plaintext_ipv6_loopback.json", ["http://[::1]:8080"]],
    ["add_plaintext_local_flag.json", ["http://10.0.0.9:8080", "--local", "--name", "lan"]],
    ["add_plaintext_ssh_remote.json", ["http://192.0.2.7:8080", "--remote", "me@192.0.2.7"]],
  ];
  for (const [golden, args] of cases) {
    await t.step(args.join(" "), async () => {
      await using sandbox = await createSandbox();
      ok(await cli(sandbox, ["gateway", "add", ...args]));
      const name = JSON.parse(await upstream(golden)).name;
      assert.equal(await metadataOf(sandbox, name), await upstream(golden));
    });
  }
});

Deno.test("gateway add --remote stores the host ssh -G resolves", async () => {
  await using sandbox = await createSandbox();
  const ssh = await new Deno.Command("ssh", { args: ["-G", "GW.Example.COM"], stderr: "null" })
    .output().catch(() => undefined);
  const resolved = ssh?.success
    ? /^hostname (.+)$/m.exec(new TextDecoder().decode(ssh.stdout))?.[1]
    : undefined;
  ok(
    await cli(sandbox, [
      "gateway",
      "add",
      "http://10.1.2.3:8080",
      "--remote",
      "ops@GW.Example.COM",
    ]),
  );
  const written = JSON.parse(await metadataOf(sandbox, "10.1.2.3"));
  // OpenSSH reports the host in lower case: the stored value comes from ssh -G, not the flag
  assert.equal(written.resolved_host, resolved ?? "GW.Example.COM");
  assert.equal(written.remote_host, "ops@GW.Example.COM");
});

Deno.test("gateway add: directory and file modes as upstream sets them", async () => {
  await using sandbox = await createSandbox();
  ok(await cli(sandbox, ["gateway", "add", "http://127.0.0.1:8080"]));
  const root = join(sandbox.config, "openshell");
  assert.equal(await modes(root), await upstream("add_modes.txt"));
  // an existing root and gateway directory are tightened on add and on select
  await Deno.chmod(root, 0o755);
  await Deno.chmod(join(root, "gateways/openshell"), 0o755);
  ok(await cli(sandbox, ["gateway", "add", "http://10.0.0.5:9000"]));
  assert.equal((await Deno.stat(root)).mode! & 0o777, 0o700);
  await Deno.chmod(root, 0o755);
  ok(await cli(sandbox, ["gateway", "select", "openshell"]));
  assert.equal((await Deno.stat(root)).mode! & 0o777, 0o700);
  await Deno.chmod(join(root, "gateways/openshell"), 0o755);
  ok(await cli(sandbox, ["gateway", "remove", "openshell"]));
  ok(await cli(sandbox, ["gateway", "add", "http://127.0.0.1:8080"]));
  assert.equal((await Deno.stat(join(root, "gateways/openshell"))).mode! & 0o777, 0o700);
});

Deno.test("mTLS add: refused without certificates, copied from the package's client TLS", async () => {
  await using sandbox = await createSandbox();
  const root = join(sandbox.config, "openshell");
  const refused = await cli(sandbox, ["gateway", "add", "https://127.0.0.1:8443", "--local"]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^error: mTLS certificates for gateway 'openshell' were not found in ".*state\/openshell\/tls" or ".*gateways\/openshell\/mtls"\nhint: start the gateway package first/,
  );
  await assert.rejects(Deno.stat(root), Deno.errors.NotFound, "nothing written");

  const tls = await packageTls(sandbox);
  ok(await cli(sandbox, ["gateway", "add", "https://127.0.0.1:8443", "--local"]));
  assert.equal(await metadataOf(sandbox, "openshell"), await upstream("add_mtls_local.json"));
  assert.equal(await modes(root), await upstream("add_mtls_modes.txt"));
  assert.equal(
    await Deno.readTextFile(join(root, "gateways/openshell/mtls/tls.key")),
    await Deno.readTextFile(join(tls, "client/tls.key")),
  );

  // OPENSHELL_LOCAL_TLS_DIR replaces the state directory, as upstream reads it
  const other = join(sandbox.root, "other-tls");
  await Deno.rename(join(sandbox.state, "openshell/tls"), other);
  ok(
    await cli(sandbox, ["gateway", "add", "127.0.0.1:9443", "--local", "--name", "pkg"], {
      OPENSHELL_LOCAL_TLS_DIR: other,
    }),
  );
  assert.equal(
    await Deno.readTextFile(join(root, "gateways/pkg/mtls/ca.crt")),
    await Deno.readTextFile(join(other, "ca.crt")),
  );
});

Deno.test("mTLS add --remote uses certificates already in gateways/<name>/mtls", async () => {
  await using sandbox = await createSandbox();
  const args = ["gateway", "add", "gw.example.com:8443", "--remote", "ops@GW.Example.COM"];
  const refused = await cli(sandbox, [...args, "--name", "corp"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /mTLS certificates for gateway 'corp' were not found/);
  await packageTls(sandbox); // --remote does not take the local package's material
  assert.equal((await cli(sandbox, [...args, "--name", "corp"])).code, 1);

  const mtls = join(sandbox.config, "openshell/gateways/corp/mtls");
  await Deno.mkdir(mtls, { recursive: true });
  for (const file of ["ca.crt", "tls.crt", "tls.key"]) {
    await Deno.writeTextFile(join(mtls, file), file);
  }
  ok(await cli(sandbox, [...args, "--name", "corp"]));
  const written = await metadataOf(sandbox, "corp");
  const expected = await upstream("add_mtls_remote.json");
  const resolved = JSON.parse(written).resolved_host; // what this machine's ssh -G says
  assert.equal(written, expected.replace('"gw.example.com",\n  "auth', `"${resolved}",\n  "auth`));
});

Deno.test("status -o json: upstream's bytes with no gateway, its keys and values otherwise", async () => {
  await using sandbox = await createSandbox();
  const none = ok(await cli(sandbox, ["status", "-o", "json"]));
  assert.equal(none.stdout, await upstream("status_not_configured.json"));

  const { server, endpoint } = serveLoopback(() => new Response("ok"));
  try {
    ok(await cli(sandbox, ["gateway", "add", endpoint]));
    const ours = JSON.parse(ok(await cli(sandbox, ["status", "-o", "json"])).stdout);
    const theirs = JSON.parse(await upstream("status_connected_http.json"));
    for (const [key, value] of Object.entries(theirs)) {
      assert.equal(typeof ours[key], typeof value, key);
    }
    assert.equal(ours.status, "connected_http");
    assert.equal(ours.http_status, "200 OK");
    assert.equal(ours.server, endpoint);
    assert.equal(ours.gateway, "openshell");
    assert.equal(ours.authentication.status, "unverified");
    assert.deepEqual(
      Object.keys(ours).filter((key) => !(key in theirs)),
      ["active_reason", "elapsed_ms", "origin", "source"],
    );
    assert.deepEqual(Object.keys(ours), Object.keys(ours).sort(), "keys sorted, as upstream");
    assert.deepEqual(Object.keys(ours), [
      "active_reason",
      "authentication",
      "elapsed_ms",
      "error",
      "gateway",
      "http_status",
      "origin",
      "server",
      "source",
      "status",
    ]);
  } finally {
    await server.shutdown();
  }
});

const UPSTREAM_CLI = Deno.env.get("OPENSHELL_UPSTREAM_CLI");

/** Upstream's CLI on the sandbox's registry. */
function runUpstream(sandbox: Sandbox, args: string[], env: Record<string, string> = {}) {
  return runCommand([UPSTREAM_CLI!, ...args], {
    env: {
      HOME: sandbox.home,
      XDG_CONFIG_HOME: sandbox.config,
      NO_COLOR: "1",
      PATH: "/usr/bin:/bin",
      ...env,
    },
  });
}

/**
 * Upstream's JSON after the log lines it writes on stdout first (its warning that TLS is not
 * verified, for one: its logger writes there).
 */
function afterLog(stdout: string): string {
  return stdout.slice(stdout.search(/^\{/m));
}

/** `ours` with only the keys `theirs` has: what both print of upstream's report. */
function upstreamPart(ours: Record<string, unknown>, theirs: Record<string, unknown>) {
  return Object.fromEntries(Object.keys(theirs).map((key) => [key, ours[key]]));
}

Deno.test({
  name:
    "NVIDIA OpenShell's CLI: --gateway-insecure / OPENSHELL_GATEWAY_INSECURE and --gateway-endpoint, status and gateway info alike",
  ignore: !UPSTREAM_CLI,
  async fn() {
    await using sandbox = await createSandbox();
    const certs = await makeCertificates(join(sandbox.root, "theirs"));
    // A gateway behind a certificate nobody registered, one asking for a client certificate,
    // one answering only /healthz, and a plaintext one.
    await using own = await serveGrpcGateway({ tls: certs, anyClient: true });
    await using strict = await serveGrpcGateway({ tls: certs });
    const https = await serveHttps(certs);
    await using plain = await serveGrpcGateway({ version: "0.0.112-plain" });
    try {
      const healthz = `https://127.0.0.1:${https.addr.port}`;
      const both = async (args: string[], env: Record<string, string>) => {
        const theirs = await runUpstream(sandbox, args, env);
        const ours = await cli(sandbox, args, env);
        return { theirs, ours };
      };
      const insecure = (endpoint: string) => ({
        OPENSHELL_GATEWAY_ENDPOINT: endpoint,
        OPENSHELL_GATEWAY_INSECURE: "true",
      });
      for (
        const [endpoint, env, flags] of [
          [own.endpoint, insecure(own.endpoint), []],
          [own.endpoint, { OPENSHELL_GATEWAY_INSECURE: "false" }, [
            "--gateway-endpoint",
            own.endpoint,
            "--gateway-insecure",
          ]],
          [healthz, insecure(healthz), []],
          [plain.endpoint, insecure(plain.endpoint), []],
        ] as const
      ) {
        const { theirs, ours } = await both([...flags, "status", "-o", "json"], env);
        assert.equal(theirs.code, 0, theirs.stderr);
        assert.equal(ours.code, 0, ours.stderr);
        const report = JSON.parse(afterLog(theirs.stdout));
        // Both warn of it over https:// only: upstream on stdout, before its JSON.
        const warning = /TLS certificate verification is disabled/;
        assert.equal(warning.test(ours.stderr), endpoint.startsWith("https:"), ours.stderr);
        assert.equal(warning.test(theirs.stdout), endpoint.startsWith("https:"), theirs.stdout);
        const ourReport = upstreamPart(JSON.parse(ours.stdout), report);
        // gRPC errors are worded by each client its own way; the rest is the same.
        if (report.status === "connected_http") delete report.error, delete ourReport.error;
        assert.deepEqual(ourReport, report, endpoint);
      }
      // gateway info at an endpoint no registration holds: the same answer.
      const info = await both(["gateway", "info", "-o", "json"], insecure(own.endpoint));
      assert.equal(info.theirs.code, 0, info.theirs.stderr);
      assert.equal(info.ours.code, 0, info.ours.stderr);
      const theirInfo = JSON.parse(afterLog(info.theirs.stdout));
      const ourInfo = JSON.parse(info.ours.stdout);
      const { status, version, compute_drivers } = ourInfo.live;
      const { auth, ...answer } = theirInfo;
      assert.equal(auth, null); // a bearer token it would name; none here
      assert.deepEqual(
        { gateway: ourInfo.name, server: ourInfo.server, status, version, compute_drivers },
        answer,
      );
      // Verified, the unregistered certificate is refused by both.
      const verified = await both(["status", "-o", "json"], {
        OPENSHELL_GATEWAY_ENDPOINT: own.endpoint,
      });
      assert.notEqual(verified.theirs.code, 0);
      assert.notEqual(verified.ours.code, 0);
      // Insecure sends no client certificate: refused by both.
      const refused = await both(["gateway", "info"], insecure(strict.endpoint));
      assert.equal(refused.theirs.code, 1);
      assert.equal(refused.ours.code, 1);
      // The variable holds true or false: anything else is a usage error for both.
      for (const value of ["1", "yes", ""]) {
        const bad = await both(["status"], { OPENSHELL_GATEWAY_INSECURE: value });
        assert.equal(bad.theirs.code, 2, value);
        assert.equal(bad.ours.code, 2, value);
      }
    } finally {
      await https.shutdown();
    }
  },
});
const youki = await onPath("youki");
const testUser = await userIds(TEST_USER);

for (const rootless of [false, true]) {
  Deno.test({
    name:
      `NVIDIA OpenShell's CLI: status connected and authenticated, gateway info, against the default (mTLS) serve${
        rootless ? " of an ordinary user" : " as root"
      }`,
    ignore: !UPSTREAM_CLI || Deno.uid() !== 0 || !youki || (rootless && !testUser),
    async fn() {
      await using sandbox = await createServeSandbox(rootless ? testUser : undefined);
      const name = uniqueGatewayName("upstream");
      const port = freePort();
      await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
        auth: "default",
        ...(rootless ? { user: TEST_USER } : {}),
      });
      await serve.ready();
      // Upstream's CLI reads the registration serve wrote, in the layout it shares with ours.
      const upstreamCli = (args: string[], env: Record<string, string> = {}) =>
        runUpstream(sandbox, ["-g", name, ...args], env);
      const status = await upstreamCli(["status", "-o", "json"]);
      assert.equal(status.code, 0, status.stderr);
      const report = JSON.parse(status.stdout);
      assert.equal(report.status, "connected", status.stdout);
      assert.equal(report.version, denoJson.version);
      assert.deepEqual(report.authentication, {
        status: "authenticated",
        provider: "mTLS transport",
      });
      const info = await upstreamCli(["gateway", "info", "-o", "json"]);
      assert.equal(info.code, 0, info.stderr);
      assert.equal(JSON.parse(info.stdout).version, denoJson.version);
      // Ours says the same.
      const ours = JSON.parse(ok(await cli(sandbox, ["-g", name, "status", "-o", "json"])).stdout);
      assert.equal(ours.status, report.status);
      assert.deepEqual(ours.authentication, report.authentication);
      // gateway info at the endpoint given directly: the registration holding it answers.
      const endpoint = { OPENSHELL_GATEWAY_ENDPOINT: report.server };
      const direct = await upstreamCli(["gateway", "info", "-o", "json"], endpoint);
      assert.equal(direct.code, 0, direct.stderr);
      const ourInfo = JSON.parse(
        ok(await cli(sandbox, ["-g", name, "gateway", "info", "-o", "json"], endpoint)).stdout,
      );
      assert.equal(ourInfo.name, JSON.parse(direct.stdout).gateway);
      assert.equal(ourInfo.live.version, JSON.parse(direct.stdout).version);
      // Insecure sends no client certificate: serve's gateway refuses both.
      const insecure = { OPENSHELL_GATEWAY_INSECURE: "true" };
      const refused = await upstreamCli(["status", "-o", "json"], insecure);
      assert.equal(refused.code, 1, refused.stdout);
      const ourRefusal = await cli(sandbox, ["-g", name, "status", "-o", "json"], insecure);
      assert.equal(ourRefusal.code, 1);
      assert.match(JSON.parse(ourRefusal.stdout).error, /^TLS failed: /);
      assert.equal((await serve.stop()).code, 0);
    },
  });
}
