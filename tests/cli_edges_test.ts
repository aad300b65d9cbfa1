/**
 * What a new user runs into, through the real CLI: usage errors, endpoint mistakes,
 * unknown gateway names, failures that must read clearly, and the smaller commands.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeCertificates, serveHttps } from "./_helpers/certificates.ts";
import { serveLoopback } from "./_helpers/loopback.ts";
import { type CliResult, createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { sandboxRoots, writeActive, writeEntry } from "./registry_fixture.ts";

function expect(result: CliResult, code: number, stderr: RegExp): CliResult {
  assert.equal(result.code, code, `exit ${result.code}: ${result.stderr}`);
  assert.match(result.stderr, stderr);
  return result;
}

async function listed(sandbox: Sandbox): Promise<[string, boolean][]> {
  const result = await runCli(sandbox, ["gateway", "list", "-o=json"]);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout).map((row: { name: string; active: boolean }) => [
    row.name,
    row.active,
  ]);
}

Deno.test("usage errors exit 2 with the usage line, serve and -g included", async () => {
  await using sandbox = await createSandbox();
  const cases: [string[], RegExp][] = [
    [["serve", "--bogus"], /^error: unknown option '--bogus'\n\(run with --help for usage\)\n$/],
    [["serve", "--listen"], /argument missing\n\(run with --help for usage\)\n$/],
    [["serve", "--runtime", "podman"], /'podman' is invalid.*\n\(run with --help for usage\)\n$/],
    [["serve", "--name", "a/b"], /^error: invalid gateway name 'a\/b'/],
    [["-g", "a/b", "status"], /^error: invalid gateway name 'a\/b'/],
    [["-g", "..", "gateway", "list"], /^error: invalid gateway name '..'/],
    [["status", "-o", "xml"], /argument 'xml' is invalid/],
  ];
  for (const [args, stderr] of cases) {
    const result = expect(await runCli(sandbox, args), 2, stderr);
    assert.equal(result.stdout, "", args.join(" "));
  }
  assert.deepEqual(await Array.fromAsync(Deno.readDir(sandbox.config)), [], "nothing written");
});

Deno.test("endpoint mistakes say what happened and what to type instead", async () => {
  await using sandbox = await createSandbox();
  expect(
    await runCli(sandbox, ["gateway", "add", "127.0.0.1:35001"]),
    2,
    /^error: '127.0.0.1:35001' has no scheme, so it was read as https:\/\/127.0.0.1:35001; .*\nhint: use http:\/\/127.0.0.1:35001 for a plaintext gateway, or add --local/,
  );
  expect(
    await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:0"]),
    2,
    /^error: invalid endpoint 'http:\/\/127.0.0.1:0': port 0 cannot be connected to\n/,
  );
  expect(
    await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:99999"]),
    2,
    /^error: invalid endpoint 'http:\/\/127.0.0.1:99999': port 99999 is out of range \(1-65535\)\n/,
  );
  assert.deepEqual(await listed(sandbox), []);
});

Deno.test("an unknown gateway named by -g or OPENSHELL_GATEWAY: the error says where from", async () => {
  await using sandbox = await createSandbox();
  await writeEntry(sandboxRoots(sandbox).user, "real");
  await writeActive(sandboxRoots(sandbox).user, "real");
  expect(
    await runCli(sandbox, ["-g", "nosuch", "status"]),
    1,
    /^error: Active gateway 'nosuch' from -g\/--gateway: Gateway 'nosuch' not found.*\nhint: give -g a name/,
  );
  expect(
    await runCli(sandbox, ["status"], { env: { OPENSHELL_GATEWAY: "nosuch" } }),
    1,
    /^error: Active gateway 'nosuch' from OPENSHELL_GATEWAY: .*\nhint: unset OPENSHELL_GATEWAY/,
  );
  expect(
    await runCli(sandbox, ["gateway", "info"], { env: { OPENSHELL_GATEWAY: "nosuch" } }),
    1,
    /^error: Active gateway 'nosuch' from OPENSHELL_GATEWAY/,
  );
  const list = expect(
    await runCli(sandbox, ["-g", "nosuch", "gateway", "list"]),
    0,
    /^warning: the active gateway 'nosuch' from -g\/--gateway is not registered; no gateway is marked active\n$/,
  );
  assert.match(list.stdout, /^ {2}real /m, "nothing marked");
  // OPENSHELL_GATEWAY is trimmed, and blank counts as unset
  assert.deepEqual(
    (await runCli(sandbox, ["gateway", "info", "-o", "json"], {
      env: { OPENSHELL_GATEWAY: " real " },
    })).code,
    0,
  );
});

Deno.test("gateway add --no-activate, rename and remove of several names", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  assert.equal((await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:8080"])).code, 0);
  const quiet = await runCli(sandbox, ["gateway", "add", "http://10.0.0.5:1", "--no-activate"]);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /active/);
  assert.deepEqual(await listed(sandbox), [["10.0.0.5", false], ["openshell", true]]);

  await Deno.writeTextFile(join(roots.user, "gateways/openshell/token"), "secret");
  await writeEntry(roots.system, "openshell", {
    name: "openshell",
    gateway_endpoint: "http://127.0.0.1:8090",
    is_remote: false,
    gateway_port: 0,
  });
  const renamed = expect(
    await runCli(sandbox, ["gateway", "rename", "openshell", "laptop"]),
    0,
    /^Renamed gateway 'openshell' to 'laptop'\n'laptop' is the active gateway\nThe system entry 'openshell' .* is listed again\n$/,
  );
  assert.equal(renamed.stdout, "");
  assert.deepEqual(await listed(sandbox), [
    ["10.0.0.5", false],
    ["laptop", true],
    ["openshell", false],
  ]);
  const metadata = JSON.parse(
    await Deno.readTextFile(join(roots.user, "gateways/laptop/metadata.json")),
  );
  assert.deepEqual(metadata.name, "laptop");
  assert.equal(await Deno.readTextFile(join(roots.user, "gateways/laptop/token")), "secret");
  expect(
    await runCli(sandbox, ["gateway", "rename", "openshell", "x"]),
    1,
    /^error: Gateway 'openshell' is installed by the system and cannot be renamed/,
  );
  expect(
    await runCli(sandbox, ["gateway", "rename", "laptop", "10.0.0.5"]),
    1,
    /^error: Gateway '10.0.0.5' already exists\./,
  );
  expect(await runCli(sandbox, ["gateway", "rename", "laptop", "a/b"]), 2, /invalid gateway name/);

  const removed = expect(
    await runCli(sandbox, ["gateway", "remove", "laptop", "nosuch", "10.0.0.5"]),
    1,
    /Removed gateway 'laptop'\n.*\nerror: Gateway 'nosuch' not found.*\nRemoved gateway '10.0.0.5'\nerror: Some gateways were not removed\n/s,
  );
  assert.equal(removed.stdout, "");
  assert.deepEqual(await listed(sandbox), [["openshell", false]]);
});

Deno.test("status -o yaml, -o=json and upstream's -o table", async () => {
  await using sandbox = await createSandbox();
  assert.equal(
    (await runCli(sandbox, ["status", "-o", "table"])).stdout,
    "No gateway configured.\n",
  );
  assert.equal(
    (await runCli(sandbox, ["status", "-o", "yaml"])).stdout,
    "status: not_configured\n",
  );
  const { server, endpoint } = serveLoopback(() => new Response("ok"));
  try {
    assert.equal((await runCli(sandbox, ["gateway", "add", endpoint])).code, 0);
    const yaml = await runCli(sandbox, ["status", "-o", "yaml"]);
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /^status: connected_http$/m);
    assert.match(yaml.stdout, /^http_status: 200 OK$/m);
    const json = await runCli(sandbox, ["status", "-o=json"]);
    assert.equal(JSON.parse(json.stdout).status, "connected_http");
  } finally {
    await server.shutdown();
  }
});

Deno.test("status failures: one readable line each, hints that fit the gateway", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const certs = await makeCertificates(sandbox.root);
  const tls = await serveHttps(certs);
  const entry = (name: string, endpoint: string) =>
    writeEntry(roots.user, name, {
      name,
      gateway_endpoint: endpoint,
      is_remote: true,
      gateway_port: 0,
      auth_mode: "mtls",
    });
  try {
    await entry("tls", `https://127.0.0.1:${tls.addr.port}`);
    await entry("dns", "https://no-such-host.invalid:8443");
    const status = (name: string) => runCli(sandbox, ["-g", name, "status"]);
    const untrusted = expect(
      await status("tls"),
      1,
      /^error: Gateway 'tls' at \S+ is disconnected: TLS failed: its certificate is signed by a CA this client does not trust\nhint: check the certificates in .*gateways\/tls\/mtls\/ against the gateway's/,
    );
    assert.doesNotMatch(untrusted.stderr, /openshell serve|unknownIssuer|OtherError/);
    const mtls = join(roots.user, "gateways/tls/mtls");
    await Deno.mkdir(mtls, { recursive: true });
    await Deno.copyFile(certs.server.cert, join(mtls, "ca.crt")); // not a CA
    expect(await status("tls"), 1, /is disconnected: TLS failed: /);
    await Deno.copyFile(certs.ca, join(mtls, "ca.crt"));
    assert.equal((await status("tls")).code, 0, "the right CA: healthy");

    const dns = expect(
      await status("dns"),
      1,
      /is disconnected: the host name does not resolve\nhint: check the host name 'no-such-host.invalid' in the endpoint/,
    );
    assert.doesNotMatch(dns.stderr, /openshell serve/);
  } finally {
    await tls.shutdown();
  }
  const { server, endpoint } = serveLoopback(() => new Response("ok"));
  await server.shutdown();
  await entry("remote", "http://192.0.2.1:8090");
  await writeEntry(roots.user, "local", {
    name: "local",
    gateway_endpoint: endpoint,
    is_remote: false,
    gateway_port: 0,
  });
  expect(
    await runCli(sandbox, ["-g", "local", "status"]),
    1,
    /disconnected: connection refused\nhint: nothing answers on this machine; start the gateway that listens there \(`openshell gateway info local` shows its registration\)\n$/,
  );
  const remote = expect(
    await runCli(sandbox, ["-g", "remote", "status", "--timeout", "300"]),
    1,
    /hint: check that the gateway on 192.0.2.1 is running and reachable from here\n$/,
  );
  assert.doesNotMatch(remote.stderr, /openshell serve/);
});

Deno.test("an http:// add for a name with mTLS certificates warns, as upstream does", async () => {
  await using sandbox = await createSandbox();
  const mtls = join(sandboxRoots(sandbox).user, "gateways/corp/mtls");
  await Deno.mkdir(mtls, { recursive: true });
  for (const file of ["ca.crt", "tls.crt", "tls.key"]) {
    await Deno.writeTextFile(join(mtls, file), file);
  }
  const result = expect(
    await runCli(sandbox, ["gateway", "add", "http://10.0.0.8:8080", "--name", "corp"]),
    0,
    /^warning: mTLS certificates for gateway 'corp' are in .*gateways\/corp\/mtls; did you mean https:\/\/\?\n/,
  );
  assert.equal(result.stdout, "");
  expect(
    await runCli(sandbox, ["gateway", "add", "http://10.0.0.9:8080", "--name", "plain"]),
    0,
    /^Added gateway 'plain'/,
  );
});
