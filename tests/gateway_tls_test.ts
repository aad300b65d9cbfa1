/**
 * The gateway's connections as a client meets them, plaintext and mTLS: how soon a call on a
 * fresh connection is answered, and what a refused TLS handshake tells the client. The real
 * gateway process, curl and openssl as clients.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import tls from "node:tls";
import { median } from "../bench/_report.ts";
import { type Certificates, makeCertificates } from "./_helpers/certificates.ts";
import { startGateway, withDir } from "./_helpers/gateway_process.ts";
import { freePort } from "./_helpers/loopback.ts";
import { createSandbox, runCli } from "./_helpers/sandbox.ts";
import { registerMtls } from "./registry_fixture.ts";

/** The gateway's TLS files from `makeCertificates`: the clients' CA is the one that signed. */
function gatewayTls(certs: Certificates) {
  return { cert: certs.server.cert, key: certs.server.key, clientCa: certs.ca };
}

/**
 * One gRPC `Health` call with curl on a new connection; the milliseconds from the end of the
 * connection's set-up (TCP, and TLS for https) to the whole answer.
 */
async function healthCallMs(url: string, tls: string[] = []): Promise<number> {
  const curl = new Deno.Command("curl", {
    args: [
      "--silent",
      "--show-error",
      ...(url.startsWith("https:") ? tls : ["--http2-prior-knowledge"]),
      "--header",
      "content-type: application/grpc",
      "--header",
      "te: trailers",
      "--data-binary",
      "@-",
      "--output",
      "/dev/null",
      "--write-out",
      "%{http_version} %{time_connect} %{time_appconnect} %{time_total}",
      `${url}/openshell.v1.OpenShell/Health`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = curl.stdin.getWriter();
  await writer.write(new Uint8Array(5)); // an empty HealthRequest, framed
  await writer.close();
  const { code, stdout, stderr } = await curl.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  const [version, connect, appConnect, total] = new TextDecoder().decode(stdout).split(" ");
  assert.equal(version, "2");
  return (Number(total) - Math.max(Number(connect), Number(appConnect))) * 1000;
}

Deno.test("a gRPC call on a fresh HTTP/2 connection is answered at once, h2c and mTLS (no delayed ACK wait)", async () => {
  await withDir(async (dir) => {
    const certs = await makeCertificates(dir);
    const clientTls = [
      "--cacert",
      certs.ca,
      "--cert",
      certs.client.cert,
      "--key",
      certs.client.key,
    ];
    for (const tls of [undefined, gatewayTls(certs)]) {
      await using gateway = startGateway(dir, freePort(), [], undefined, tls);
      const { port } = await gateway.waitFor("Listening") as { port: number };
      const url = `${tls ? "https" : "http"}://127.0.0.1:${port}`;
      await healthCallMs(url, clientTls); // HTTP/2 loaded and warm
      const times: number[] = [];
      for (let call = 0; call < 5; call++) times.push(await healthCallMs(url, clientTls));
      // An answer written in pieces behind Nagle's algorithm waits 40 ms or more for the
      // client's delayed ACK; unbuffered it takes a few milliseconds.
      assert.ok(
        median(times) < 30,
        `${url}: ${times.map((t) => t.toFixed(1)).join(", ")} ms`,
      );
    }
  });
});

/**
 * What `openssl s_client` prints of a TLS connection to `port` that the server refuses. Its
 * input stays open, so it leaves only on the server's word (an alert) or close; killed after 5 s.
 */
async function refusedHandshake(port: number, args: string[]): Promise<string> {
  const child = new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  try {
    const { stdout, stderr } = await child.output();
    return new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  } finally {
    clearTimeout(timer);
    await child.stdin.close().catch(() => {});
  }
}

Deno.test("a client without a certificate is refused with the alert certificate_required, which status names", async () => {
  await withDir(async (dir) => {
    const certs = await makeCertificates(dir);
    await using gateway = startGateway(dir, freePort(), [], undefined, gatewayTls(certs));
    const { port } = await gateway.waitFor("Listening") as { port: number };
    for (const version of ["-tls1_3", "-tls1_2"]) {
      const said = await refusedHandshake(port, [version, "-CAfile", certs.ca]);
      assert.match(said, /alert certificate required/, `${version}: ${said}`);
    }
    await using sandbox = await createSandbox();
    await registerMtls(sandbox, "local", `https://127.0.0.1:${port}`, certs, true);
    const json = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(json.code, 1);
    assert.equal(
      JSON.parse(json.stdout).error,
      "TLS failed: it requires a client certificate (TLS alert certificate_required)",
    );
    const text = await runCli(sandbox, ["status"]);
    assert.match(
      text.stderr,
      /TLS failed: it requires a client certificate \(TLS alert certificate_required\)\nhint: check the certificates in .*\/mtls\//,
    );
  });
});

Deno.test("a certificate from another CA is refused without an alert: Deno's node:tls sends none, on its own listener either", async () => {
  await withDir(async (dir) => {
    const certs = await makeCertificates(dir);
    await Deno.mkdir(join(dir, "other"));
    const other = await makeCertificates(join(dir, "other"));
    const stranger = ["-CAfile", certs.ca, "-cert", other.client.cert, "-key", other.client.key];
    await using gateway = startGateway(dir, freePort(), [], undefined, gatewayTls(certs));
    const { port } = await gateway.waitFor("Listening") as { port: number };
    const said = await refusedHandshake(port, stranger);
    assert.match(said, /unexpected eof/, said);
    assert.doesNotMatch(said, /alert/, said);
    await using sandbox = await createSandbox();
    await registerMtls(sandbox, "local", `https://127.0.0.1:${port}`, {
      ...certs,
      client: other.client,
    });
    const json = await runCli(sandbox, ["status", "-o", "json"]);
    assert.equal(json.code, 1);
    assert.match(
      JSON.parse(json.stdout).error,
      /^TLS failed: it closed the connection in the TLS handshake/,
    );

    // The same with nothing of the gateway: node:tls listening itself checks the certificate
    // only once its handshake is done, then closes without a word.
    const read = (path: string) => Deno.readTextFileSync(path);
    const bare = tls.createServer({
      cert: read(certs.server.cert),
      key: read(certs.server.key),
      ca: read(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    });
    bare.on("tlsClientError", () => {});
    await new Promise<void>((resolve) => bare.listen(0, "127.0.0.1", resolve));
    try {
      const barePort = (bare.address() as { port: number }).port;
      const bareSaid = await refusedHandshake(barePort, stranger);
      assert.match(bareSaid, /unexpected eof/, bareSaid);
      assert.doesNotMatch(bareSaid, /alert/, bareSaid);
    } finally {
      await new Promise((resolve) => bare.close(resolve));
    }
  });
});
