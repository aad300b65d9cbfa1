import assert from "node:assert/strict";
import { join } from "node:path";
import {
  classifyStatus,
  describeFetchError,
  type FailureKind,
  healthHint,
  healthzUrl,
  type HintTarget,
} from "../src/client/gateway_health.ts";
import { serveLoopback } from "./_helpers/loopback.ts";
import { makeCertificates, serveHttps } from "./_helpers/certificates.ts";
import { serveGrpcGateway } from "./_helpers/grpc_gateway.ts";
import { createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { registerMtls, sandboxRoots, writeActive, writeEntry } from "./registry_fixture.ts";
import { gatewayAddKind } from "../src/registry/mod.ts";
import { planGatewayAdd } from "../src/register/mod.ts";

/** `status -o json` of a gateway that refused the client in the TLS handshake: exit 1, said so. */
function assertRefusedClient(result: { code: number; stdout: string }): void {
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout);
  assert.equal(report.status, "disconnected");
  // The alert when the server's TLS stack sent one (Deno's node:http2 does not always).
  assert.match(
    report.error,
    /^TLS failed: it (requires a client certificate|closed the connection in the TLS handshake)/,
  );
}

async function registerActive(sandbox: Sandbox, endpoint: string): Promise<void> {
  const result = await runCli(sandbox, ["gateway", "add", endpoint, "--name", "local"]);
  assert.equal(result.code, 0, result.stderr);
}

Deno.test("status with no gateway: not_configured, exit 0", async () => {
  await using sandbox = await createSandbox();
  const json = await runCli(sandbox, ["status", "-o", "json"]);
  assert.equal(json.code, 0);
  assert.deepEqual(JSON.parse(json.stdout), { status: "not_configured" });
  assert.equal(json.stderr, "");
  const text = await runCli(sandbox, ["status"]);
  assert.equal(text.code, 0);
  assert.equal(text.stdout, "No gateway configured.\n");
  assert.match(text.stderr, /^hint: /);
});

Deno.test("status of a plain HTTP health server: gRPC first, then /healthz: connected_http", async () => {
  await using sandbox = await createSandbox();
  const { server, requests, endpoint } = serveLoopback((request) =>
    new URL(request.url).pathname === "/healthz"
      ? new Response("ok")
      : new Response("no", { status: 404 })
  );
  try {
    await registerActive(sandbox, endpoint);
    const json = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.status, "connected_http");
    assert.equal(report.gateway, "local");
    assert.equal(report.source, "user");
    assert.equal(report.active_reason, "user");
    assert.equal(report.server, endpoint);
    assert.equal(report.http_status, "200 OK");
    assert.equal(report.error, "not a gRPC answer: HTTP 404");
    assert.deepEqual(report.authentication, {
      status: "unverified",
      reason: "gRPC health check failed",
    });
    assert.equal(report.version, undefined);
    const text = await runCli(sandbox, ["status"]);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^gateway: {2}local\n/);
    assert.match(
      text.stdout,
      /\nstatus: {3}connected over HTTP only \(HTTP 200 OK in \d+ ms; gRPC: /,
    );
    assert.deepEqual(requests, [
      "/openshell.v1.OpenShell/Health",
      "/healthz",
      "/openshell.v1.OpenShell/Health",
      "/healthz",
    ]);
  } finally {
    await server.shutdown();
  }
});

for (const tls of [false, true]) {
  Deno.test(`status of a gRPC gateway without /healthz${tls ? ", over mTLS" : ""}: connected, its version, authenticated`, async () => {
    await using sandbox = await createSandbox();
    const certs = tls ? await makeCertificates(sandbox.root) : undefined;
    await using gateway = await serveGrpcGateway({
      version: "0.0.112-dev",
      ...(certs ? { tls: certs } : {}),
    });
    if (certs) await registerMtls(sandbox, "local", gateway.endpoint, certs);
    else await registerActive(sandbox, gateway.endpoint);
    const json = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const { elapsed_ms, origin, ...report } = JSON.parse(json.stdout);
    assert.equal(typeof elapsed_ms, "number");
    assert.match(origin, /metadata\.json$/);
    // Upstream's keys and values, plus ours.
    assert.deepEqual(report, {
      active_reason: "user",
      authentication: tls
        ? { status: "authenticated", provider: "mTLS transport" }
        : { status: "not_required", mode: "gateway" },
      gateway: "local",
      server: gateway.endpoint,
      source: "user",
      status: "connected",
      version: "0.0.112-dev",
    });
    const text = await runCli(sandbox, ["status"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /\nstatus: {3}connected \(gRPC in \d+ ms\)\nversion: {2}0\.0\.112-dev\n/,
    );
    assert.match(
      text.stdout,
      tls
        ? /\nauth: {5}authenticated \(mTLS transport\)\n$/
        : /\nauth: {5}not required \(gateway\)\n$/,
    );
    assert.ok(!gateway.paths.includes("/healthz"));
  });
}

Deno.test("status: GetGatewayInfo's answer decides authentication as upstream's", async () => {
  await using sandbox = await createSandbox();
  const certs = await makeCertificates(sandbox.root);
  for (
    const [infoStatus, authentication] of [
      [16, { status: "failed", error: "Missing or invalid bearer token" }],
      [7, { status: "authenticated", provider: "mTLS transport; authorization denied" }],
      [12, { status: "authenticated", provider: "mTLS transport" }],
    ] as const
  ) {
    await using gateway = await serveGrpcGateway({ tls: certs, infoStatus });
    const name = `gw${infoStatus}`;
    await registerMtls(sandbox, name, gateway.endpoint, certs);
    const json = await runCli(sandbox, ["-g", name, "status", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout).authentication, authentication, `${infoStatus}`);
  }
});

Deno.test("status of an mTLS gateway without the client certificate: the TLS alert, not a closed connection", async () => {
  await using sandbox = await createSandbox();
  const certs = await makeCertificates(sandbox.root);
  await using gateway = await serveGrpcGateway({ tls: certs });
  await registerMtls(sandbox, "local", gateway.endpoint, certs, true);
  const json = await runCli(sandbox, ["status", "-o", "json"]);
  assertRefusedClient(json);
  assert.match(json.stderr, /\nhint: check the certificates in .*\/mtls\//);
});

Deno.test("status of a system gateway picked by the system active file", async () => {
  await using sandbox = await createSandbox();
  const { server, endpoint } = serveLoopback(() => new Response("ok"));
  try {
    const roots = sandboxRoots(sandbox);
    await writeEntry(roots.system, "sys", {
      name: "sys",
      gateway_endpoint: endpoint,
      is_remote: false,
      gateway_port: 0,
    });
    await writeActive(roots.system, "sys");
    const json = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.deepEqual([report.gateway, report.source, report.active_reason], [
      "sys",
      "system",
      "system",
    ]);
  } finally {
    await server.shutdown();
  }
});

Deno.test("status of an unhealthy, an unreachable and a slow gateway: exit 1", async () => {
  await using sandbox = await createSandbox();
  const unhealthy = serveLoopback(() => new Response("down", { status: 503 }));
  const pending: (() => void)[] = [];
  const release = () => pending.forEach((answer) => answer());
  const slow = serveLoopback(() =>
    new Promise((resolve) => pending.push(() => resolve(new Response("late"))))
  );
  try {
    await registerActive(sandbox, unhealthy.endpoint);
    let result = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).status, "error");
    assert.equal(JSON.parse(result.stdout).http_status, "503 Service Unavailable");
    assert.match(result.stderr, /^error: Gateway 'local' at .* is error: HTTP 503\n/);

    await unhealthy.server.shutdown();
    result = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).status, "disconnected");
    assert.equal(JSON.parse(result.stdout).error, "connection refused");
    assert.match(
      result.stderr,
      /\nhint: nothing answers on this machine; start the gateway that listens there \(`openshell gateway info local`/,
    );

    result = await runCli(sandbox, ["-g", "slow", "status", "--timeout", "300"], {});
    assert.equal(result.code, 1); // not registered
    assert.match(
      result.stderr,
      /^error: Active gateway 'slow' from -g\/--gateway: Gateway 'slow' not found/,
    );
    assert.equal(
      (await runCli(sandbox, ["gateway", "add", slow.endpoint, "--name", "slow"])).code,
      0,
    );
    result = await runCli(sandbox, ["status", "-o", "json", "--timeout", "300"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).error, "no answer within 300 ms");
  } finally {
    release();
    await slow.server.shutdown();
  }
});

Deno.test("status of a registration whose endpoint is not a URL: exit 1, said so", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  for (const [name, endpoint] of [["bad", "not a url"], ["ftp", "ftp://h.example"]]) {
    await writeEntry(roots.system, name!, {
      name,
      gateway_endpoint: endpoint,
      is_remote: false,
      gateway_port: 0,
    });
    const result = await runCli(sandbox, ["-g", name!, "status", "-o", "json"]);
    assert.equal(result.code, 1);
    assert.equal(JSON.parse(result.stdout).status, "disconnected");
    assert.match(
      result.stderr,
      new RegExp(`^error: Gateway '${name}' at ${endpoint} is disconnected: the endpoint is not`),
    );
  }
});

Deno.test("health decisions: URL, status classes and error wording", () => {
  assert.equal(healthzUrl("http://h:1"), "http://h:1/healthz");
  assert.equal(healthzUrl("http://h:1/"), "http://h:1/healthz");
  assert.equal(classifyStatus(200).status, "ok");
  assert.equal(classifyStatus(204).status, "ok");
  assert.deepEqual(classifyStatus(301), {
    status: "unhealthy",
    httpStatus: 301,
    error: "HTTP 301",
  });
  assert.equal(classifyStatus(500).status, "unhealthy");
  assert.deepEqual(describeFetchError(new DOMException("x", "TimeoutError"), 50), {
    kind: "timeout",
    message: "no answer within 50 ms",
  });
  const failures: [string, string, string][] = [
    ["tcp connect error: Connection refused (os error 111)", "refused", "connection refused"],
    [
      "client error (Connect): dns error: failed to lookup address information: Name or service not known",
      "dns",
      "the host name does not resolve",
    ],
    [
      "client error (Connect): invalid peer certificate: UnknownIssuer",
      "tls",
      "TLS failed: its certificate is signed by a CA this client does not trust",
    ],
    [
      "client error (Connect): invalid peer certificate: Other(OtherError(CaUsedAsEndEntity))",
      "tls",
      "TLS failed: it presents a CA certificate as its own server certificate",
    ],
    [
      'invalid peer certificate: certificate not valid for name "127.0.0.1"; certificate is only valid for DnsName("localhost")',
      "tls",
      "TLS failed: its certificate is not valid for '127.0.0.1'",
    ],
    ["invalid peer certificate: Expired", "tls", "TLS failed: its certificate has expired"],
    [
      "received fatal alert: CertificateRequired",
      "tls",
      "TLS failed: it requires a client certificate (TLS alert certificate_required)",
    ],
    [
      "received fatal alert: UnknownCA",
      "tls",
      "TLS failed: it does not trust the client certificate's CA (TLS alert unknown_ca)",
    ],
    [
      "received fatal alert: HandshakeFailure",
      "tls",
      "TLS failed: it refused the TLS handshake (TLS alert handshake_failure)",
    ],
    ["client error (Connect): connection reset by peer", "network", "connection reset by peer"],
  ];
  for (const [text, kind, message] of failures) {
    const error = new TypeError("fetch failed", {
      cause: new Error(`error sending request: ${text}`),
    });
    assert.deepEqual(describeFetchError(error, 1), { kind, message }, text);
  }
  assert.deepEqual(
    describeFetchError(new TypeError("Fetch failed: Requests to port 1 are blocked"), 1),
    {
      kind: "network",
      message: "port 1 is refused by the HTTP client",
    },
  );
});

Deno.test("health hints fit the gateway: local, remote, TLS, DNS", () => {
  const served = {
    name: "dev",
    endpoint: "http://127.0.0.1:8090",
    mtlsDir: "/u/dev/mtls",
    madeByServe: true,
  };
  const local = { ...served, madeByServe: false };
  const remote = { name: "corp", endpoint: "https://corp.example.com", mtlsDir: "/u/corp/mtls" };
  const hint = (kind: FailureKind, target: HintTarget) => healthHint({ kind, message: "" }, target);
  assert.match(hint("refused", served), /`openshell serve --name dev` serves it again where/);
  assert.match(hint("timeout", served), /openshell serve/);
  // A gateway someone else registered is not one serve may take over.
  assert.doesNotMatch(hint("refused", local), /openshell serve/);
  assert.match(hint("refused", local), /`openshell gateway info dev` shows its registration/);
  assert.match(hint("refused", remote), /on corp.example.com is running and reachable/);
  assert.doesNotMatch(hint("refused", remote), /openshell serve/);
  assert.match(hint("dns", remote), /check the host name 'corp.example.com'/);
  assert.match(
    hint("tls", { ...remote, remoteHost: "me@corp" }),
    /certificates in \/u\/corp\/mtls\/ .*`openshell gateway add https:\/\/corp.example.com --name corp --remote me@corp --ca <ca.crt> --cert <tls.crt> --key <tls.key> --replace`/,
  );
  assert.match(hint("tls", local), / --local --ca /);
  // Sent insecurely, no client certificate went; an unregistered endpoint used none at all.
  assert.match(
    hint("tls", { ...local, insecure: true }),
    /^an insecure connection sends no client certificate; without --gateway-insecure/,
  );
  assert.equal(
    hint("tls", { name: "https://gw:8443", endpoint: "https://gw:8443", mtlsDir: "" }),
    "register it with its certificates: `openshell gateway add https://gw:8443 --remote gw --ca <ca.crt> --cert <tls.crt> --key <tls.key>`",
  );
  assert.equal(
    hint("tls", { name: "https://[::1]:8443", endpoint: "https://[::1]:8443", mtlsDir: "" }),
    "register it with its certificates: `openshell gateway add 'https://[::1]:8443' --local --ca <ca.crt> --cert <tls.crt> --key <tls.key>`",
  );
  // Named by -g or gateway info's argument, it is registered under that name.
  assert.equal(
    hint("tls", { name: "edge", endpoint: "https://gw:8443", mtlsDir: "" }),
    "register it with its certificates: `openshell gateway add https://gw:8443 --name edge --remote gw --ca <ca.crt> --cert <tls.crt> --key <tls.key>`",
  );
  // An endpoint no registration holds has nothing `gateway info` could show.
  const direct = { name: "http://127.0.0.1:8090", endpoint: "http://127.0.0.1:8090", mtlsDir: "" };
  assert.equal(
    hint("refused", direct),
    "nothing answers on this machine; start the gateway that listens there",
  );
  assert.equal(
    hint("dns", { ...direct, endpoint: "http://gw.invalid" }),
    "check the host name 'gw.invalid' in the endpoint",
  );
  assert.match(hint("endpoint", local), /gateway add <endpoint> --name dev --replace/);
  assert.match(healthHint(null, remote), /answered but is not healthy/);
  const packaged = {
    ...local,
    name: "local",
    unitStart: "systemctl start openshell-gateway@local",
  };
  assert.match(
    healthHint({ kind: "refused", message: "" }, packaged),
    /^nothing answers on this machine; `systemctl start openshell-gateway@local` starts its service$/,
  );
});

Deno.test("an endpoint's host decides how gateway add registers it: --local on loopback, else --remote", () => {
  const kind = (endpoint: string) => gatewayAddKind(new URL(endpoint).hostname);
  for (
    const endpoint of [
      "https://127.0.0.1:8443",
      "https://127.0.0.2",
      "https://127.255.255.255:1",
      "https://[::1]:8443",
      "https://[0:0:0:0:0:0:0:1]",
      "https://localhost:8443",
      "https://LOCALHOST",
    ]
  ) {
    assert.deepEqual(kind(endpoint), ["--local"], endpoint);
    assert.equal(planGatewayAdd(endpoint, { local: true }).metadata.is_remote, false, endpoint);
  }
  const remote: [string, string][] = [
    ["https://192.0.2.2:8443", "192.0.2.2"],
    ["https://10.0.0.1", "10.0.0.1"],
    ["https://128.0.0.1", "128.0.0.1"],
    ["https://0.0.0.0:8443", "0.0.0.0"],
    ["https://[fd00::2]:8443", "fd00::2"],
    ["https://[::ffff:127.0.0.1]", "::ffff:7f00:1"],
    ["https://[::2]", "::2"],
    ["https://gw:8443", "gw"],
    ["https://gw.example.com", "gw.example.com"],
    ["https://localhost.example", "localhost.example"],
    ["https://dev.localhost", "dev.localhost"],
    ["https://127.0.0.1.nip.io", "127.0.0.1.nip.io"],
  ];
  for (const [endpoint, host] of remote) {
    assert.deepEqual(kind(endpoint), ["--remote", host], endpoint);
    // What the hint names, gateway add takes: a remote mTLS registration over SSH to the host.
    const { metadata, sshHost } = planGatewayAdd(endpoint, { remote: host });
    assert.deepEqual([metadata.is_remote, metadata.remote_host, sshHost], [true, host, host]);
  }
});

Deno.test("status with --gateway-endpoint or OPENSHELL_GATEWAY_ENDPOINT asks that endpoint, as upstream's", async () => {
  await using sandbox = await createSandbox();
  await using plain = await serveGrpcGateway({ version: "0.0.112-dev" });
  // Unregistered: the endpoint names itself, and nothing else is needed.
  const env = await runCli(sandbox, ["status", "-o", "json"], {
    env: { OPENSHELL_GATEWAY_ENDPOINT: plain.endpoint },
  });
  assert.equal(env.code, 0, env.stderr);
  const { elapsed_ms: _, ...report } = JSON.parse(env.stdout);
  assert.deepEqual(report, {
    active_reason: "endpoint_env",
    authentication: { status: "not_required", mode: "gateway" },
    gateway: plain.endpoint,
    origin: "OPENSHELL_GATEWAY_ENDPOINT",
    server: plain.endpoint,
    source: "endpoint",
    status: "connected",
    version: "0.0.112-dev",
  });

  // Registered: the registration holding the endpoint gives its name and certificates, even
  // when another gateway is active; the flag wins over the variable.
  const certs = await makeCertificates(sandbox.root);
  await using tls = await serveGrpcGateway({ tls: certs });
  await registerMtls(sandbox, "corp", `${tls.endpoint}/`, certs);
  await registerActive(sandbox, plain.endpoint);
  const flag = await runCli(sandbox, ["--gateway-endpoint", tls.endpoint, "status", "-o", "json"], {
    env: { OPENSHELL_GATEWAY_ENDPOINT: plain.endpoint },
  });
  assert.equal(flag.code, 0, flag.stderr);
  const viaFlag = JSON.parse(flag.stdout);
  assert.equal(viaFlag.gateway, "corp");
  assert.equal(viaFlag.server, tls.endpoint);
  assert.equal(viaFlag.active_reason, "endpoint_flag");
  assert.deepEqual(viaFlag.authentication, { status: "authenticated", provider: "mTLS transport" });

  const bad = await runCli(sandbox, ["--gateway-endpoint", "ftp://x", "status"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^error: invalid gateway endpoint 'ftp:\/\/x' from --gateway-endpoint/);
});

Deno.test("status --gateway-insecure or OPENSHELL_GATEWAY_INSECURE=true: any server certificate, no client certificate, as upstream's", async () => {
  await using sandbox = await createSandbox();
  const [theirs, ours] = await Promise.all([
    makeCertificates(join(sandbox.root, "theirs")),
    makeCertificates(join(sandbox.root, "ours")),
  ]);
  // A gateway behind a certificate of its own, which the registration's CA did not sign.
  await using gateway = await serveGrpcGateway({
    tls: theirs,
    anyClient: true,
    version: "0.0.112-dev",
  });
  await registerMtls(sandbox, "corp", gateway.endpoint, ours);
  const status = (env: Record<string, string>, ...flags: string[]) =>
    runCli(sandbox, [...flags, "status", "-o", "json"], { env });

  const verified = await status({});
  assert.equal(verified.code, 1);
  assert.match(JSON.parse(verified.stdout).error, /^TLS failed: /);
  for (
    const [env, flags] of [
      [{ OPENSHELL_GATEWAY_INSECURE: "true" }, []],
      [{}, ["--gateway-insecure"]],
      // The flag wins over the variable.
      [{ OPENSHELL_GATEWAY_INSECURE: "false" }, ["--gateway-insecure"]],
    ] as const
  ) {
    const insecure = await status(env, ...flags);
    assert.equal(insecure.code, 0, insecure.stderr);
    assert.match(insecure.stderr, /^warning: TLS certificate verification is disabled /);
    const { elapsed_ms: _, origin: __, ...report } = JSON.parse(insecure.stdout);
    assert.deepEqual(report, {
      active_reason: "user",
      // Upstream names it so over https://, whatever certificate was or was not sent.
      authentication: { status: "authenticated", provider: "mTLS transport" },
      gateway: "corp",
      server: gateway.endpoint,
      source: "user",
      status: "connected",
      version: "0.0.112-dev",
    });
  }
  assert.equal((await status({ OPENSHELL_GATEWAY_INSECURE: "false" })).code, 1);
  // The variable holds true or false, as upstream reads it: anything else is a usage error.
  for (const value of ["1", "", "yes"]) {
    const bad = await status({ OPENSHELL_GATEWAY_INSECURE: value });
    assert.equal(bad.code, 2, value);
    assert.match(
      bad.stderr,
      new RegExp(
        `^error: option '--gateway-insecure' value '${value}' from env 'OPENSHELL_GATEWAY_INSECURE' is invalid\\. Allowed choices are true, false\\.`,
      ),
    );
  }

  // No client certificate is sent: a gateway that asks for one refuses the connection.
  await using mtls = await serveGrpcGateway({ tls: ours });
  await registerMtls(sandbox, "strict", mtls.endpoint, ours);
  assert.equal((await status({}, "-g", "strict")).code, 0);
  const refused = await status({ OPENSHELL_GATEWAY_INSECURE: "true" }, "-g", "strict");
  assertRefusedClient(refused);
  assert.match(refused.stderr, /\nhint: an insecure connection sends no client certificate; /);

  // Only /healthz answers: asked over HTTP/1.1, just as unverified.
  const https = await serveHttps(theirs);
  try {
    const endpoint = `https://127.0.0.1:${https.addr.port}`;
    const http = await status(
      { OPENSHELL_GATEWAY_INSECURE: "true" },
      "--gateway-endpoint",
      endpoint,
    );
    assert.equal(http.code, 0, http.stderr);
    const answer = JSON.parse(http.stdout);
    assert.equal(answer.status, "connected_http");
    assert.equal(answer.http_status, "200 OK");
  } finally {
    await https.shutdown();
  }

  // http:// is plaintext either way.
  await using plain = await serveGrpcGateway({});
  const h2c = await status(
    { OPENSHELL_GATEWAY_INSECURE: "true" },
    "--gateway-endpoint",
    plain.endpoint,
  );
  assert.equal(h2c.code, 0, h2c.stderr);
  assert.equal(h2c.stderr, "", "nothing to warn of");
  assert.deepEqual(JSON.parse(h2c.stdout).authentication, {
    status: "not_required",
    mode: "gateway",
  });
});

Deno.test("gateway info adds what the live gateway says (GetGatewayInfo) when it answers", async () => {
  await using sandbox = await createSandbox();
  const certs = await makeCertificates(sandbox.root);
  await using gateway = await serveGrpcGateway({ tls: certs, version: "0.0.112-dev" });
  await registerMtls(sandbox, "corp", gateway.endpoint, certs);
  const json = await runCli(sandbox, ["gateway", "info", "corp", "-o", "json"]);
  assert.equal(json.code, 0, json.stderr);
  const info = JSON.parse(json.stdout);
  assert.equal(info.name, "corp");
  assert.deepEqual(info.live, {
    status: "healthy",
    version: "0.0.112-dev",
    compute_drivers: [
      { name: "podman", capabilities: { driver_name: "Podman", driver_version: "4.3" } },
    ],
    authentication: { status: "authenticated", provider: "mTLS transport" },
  });
  const text = await runCli(sandbox, ["gateway", "info", "corp"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(
    text.stdout,
    /\nlive: {5}healthy, version 0\.0\.112-dev \(GetGatewayInfo\)\ndrivers: {2}podman \(Podman 4\.3\)\nauth: {5}authenticated \(mTLS transport\)\n$/,
  );
  // A gateway that does not answer: the registration alone.
  await gateway[Symbol.asyncDispose]();
  const gone = await runCli(sandbox, ["gateway", "info", "corp", "-o", "json"]);
  assert.equal(gone.code, 0, gone.stderr);
  assert.equal(JSON.parse(gone.stdout).live, null);
});

Deno.test("gateway info with --gateway-endpoint or OPENSHELL_GATEWAY_ENDPOINT asks that endpoint, as upstream's", async () => {
  await using sandbox = await createSandbox();
  await using plain = await serveGrpcGateway({ version: "0.0.112-dev" });
  // No registration holds it: what it answers, under the endpoint's own name.
  const env = await runCli(sandbox, ["gateway", "info", "-o", "json"], {
    env: { OPENSHELL_GATEWAY_ENDPOINT: plain.endpoint },
  });
  assert.equal(env.code, 0, env.stderr);
  const unregistered = JSON.parse(env.stdout);
  assert.equal(unregistered.name, plain.endpoint);
  assert.equal(unregistered.source, "endpoint");
  assert.equal(unregistered.origin, "OPENSHELL_GATEWAY_ENDPOINT");
  assert.equal(unregistered.server, plain.endpoint);
  assert.equal(unregistered.metadata, null);
  assert.equal(unregistered.live.status, "healthy");
  assert.equal(unregistered.live.version, "0.0.112-dev");
  assert.deepEqual(unregistered.live.compute_drivers, [
    { name: "podman", capabilities: { driver_name: "Podman", driver_version: "4.3" } },
  ]);
  const text = await runCli(sandbox, ["--gateway-endpoint", plain.endpoint, "gateway", "info"]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^name: {5}http:\/\/127\.0\.0\.1:\d+\n/);
  assert.match(text.stdout, /\nsource: {3}endpoint \(--gateway-endpoint\)\n/);
  assert.match(text.stdout, /\nlive: {5}healthy, version 0\.0\.112-dev \(GetGatewayInfo\)\n/);

  // A registration holds it: its registration, and what that endpoint answers with its
  // certificates, the flag winning over the variable.
  const certs = await makeCertificates(sandbox.root);
  await using tls = await serveGrpcGateway({ tls: certs, version: "0.0.112-tls" });
  await registerMtls(sandbox, "corp", `${tls.endpoint}/`, certs);
  await registerActive(sandbox, plain.endpoint);
  const flag = await runCli(sandbox, [
    "--gateway-endpoint",
    tls.endpoint,
    "gateway",
    "info",
    "-o",
    "json",
  ], { env: { OPENSHELL_GATEWAY_ENDPOINT: plain.endpoint } });
  assert.equal(flag.code, 0, flag.stderr);
  const registered = JSON.parse(flag.stdout);
  assert.equal(registered.name, "corp");
  assert.equal(registered.source, "user");
  assert.equal(registered.server, tls.endpoint);
  assert.equal(registered.live.version, "0.0.112-tls");
  assert.deepEqual(registered.live.authentication, {
    status: "authenticated",
    provider: "mTLS transport",
  });

  // Named, asked where nothing answers: its registration, and which endpoint was asked.
  const silent = await runCli(sandbox, [
    "--gateway-endpoint",
    "http://127.0.0.1:9",
    "gateway",
    "info",
    "local",
  ]);
  assert.equal(silent.code, 0, silent.stderr);
  assert.match(silent.stdout, /\nendpoint: http:\/\/127\.0\.0\.1:\d+\n/, "the registration's");
  assert.match(silent.stdout, /\nserver: {3}http:\/\/127\.0\.0\.1:9 \(--gateway-endpoint\)\n$/);

  // Nothing answers and nothing is registered: nothing to show, exit 1, as upstream.
  const closed = await runCli(sandbox, ["gateway", "info"], {
    env: { OPENSHELL_GATEWAY_ENDPOINT: "http://127.0.0.1:9" },
  });
  assert.equal(closed.code, 1);
  assert.match(
    closed.stderr,
    /^error: Gateway 'http:\/\/127\.0\.0\.1:9' at http:\/\/127\.0\.0\.1:9 did not answer GetGatewayInfo: /,
  );

  // Insecure: a certificate nobody registered is accepted.
  const theirs = await makeCertificates(join(sandbox.root, "theirs"));
  await using own = await serveGrpcGateway({ tls: theirs, anyClient: true });
  const verified = await runCli(sandbox, ["--gateway-endpoint", own.endpoint, "gateway", "info"]);
  assert.equal(verified.code, 1);
  assert.match(
    verified.stderr,
    /TLS failed: .*\nhint: register it with its certificates: `openshell gateway add https:/,
  );
  const insecure = await runCli(
    sandbox,
    ["--gateway-endpoint", own.endpoint, "gateway", "info", "-o", "json"],
    { env: { OPENSHELL_GATEWAY_INSECURE: "true" } },
  );
  assert.equal(insecure.code, 0, insecure.stderr);
  assert.equal(JSON.parse(insecure.stdout).live.status, "healthy");
});
