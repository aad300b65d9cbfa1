/**
 * The gateway's connections as a client meets them, plaintext and mTLS: how soon a call on a
 * fresh connection is answered, and what a refused TLS handshake tells the client. The real
 * gateway process, curl and openssl as clients.
 */
import assert from "node:assert/strict";
import { makeCertificates } from "./_helpers/certificates.ts";
import { startGateway, withDir } from "./_helpers/gateway_process.ts";
import { freePort } from "./_helpers/loopback.ts";

/** The gateway's TLS files from `makeCertificates`: the clients' CA is the one that signed. */
function gatewayTls(certs: Awaited<ReturnType<typeof makeCertificates>>) {
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
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
