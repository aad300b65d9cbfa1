/**
 * `gateway add` checks the certificates it is given before it writes anything: a v1 client
 * certificate (what `openssl x509 -req` makes without extensions), which the TLS client
 * would reject later with `UnsupportedCertVersion`, is refused in words, with the openssl
 * option that makes a v3 one; the certificate made that way is accepted and works.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { makeCertificates, serveHttps } from "./_helpers/certificates.ts";
import { runCommand } from "./_helpers/run_command.ts";
import { createSandbox, runCli } from "./_helpers/sandbox.ts";

Deno.test("gateway add refuses a v1 client certificate and says how to make a v3 one", async () => {
  await using sandbox = await createSandbox();
  const certs = await makeCertificates(sandbox.root);
  const server = await serveHttps(certs);
  // The client's request signed by the test CA, as `openssl x509 -req` does with `extra`.
  const signClient = async (out: string, ...extra: string[]) => {
    const args = ["-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial"];
    const signed = await runCommand(
      ["openssl", "x509", "-req", ...args, "-out", out, "-days", "1", ...extra],
      { env: sandbox.env, cwd: sandbox.root },
    );
    assert.equal(signed.code, 0, signed.stderr);
  };
  try {
    const v1 = join(sandbox.root, "v1.crt");
    await signClient(v1);
    const endpoint = `https://127.0.0.1:${server.addr.port}`;
    const add = (cert: string) =>
      runCli(sandbox, [
        "gateway",
        "add",
        endpoint,
        "--name",
        "tls",
        "--local",
        "--ca",
        certs.ca,
        "--cert",
        cert,
        "--key",
        certs.client.key,
      ]); // deno-fmt-ignore
    const refused = await add(v1);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /^error: The client certificate ".*v1\.crt" is an X\.509 v1 certificate \(no extensions\); TLS accepts only v3 certificates\nhint: .*-extfile .*-copy_extensions copy/,
    );
    const entry = join(sandbox.config, "openshell/gateways/tls");
    assert.equal(await Deno.stat(entry).catch(() => undefined), undefined, "nothing written");

    // What the hint says: the same request signed with -copy_extensions (OpenSSL 3) or
    // -extfile gives a v3 certificate, which is accepted and answers.
    const v3 = join(sandbox.root, "v3.crt");
    await signClient(v3, "-extfile", "client.ext");
    const added = await add(v3);
    assert.equal(added.code, 0, added.stderr);
    const status = await runCli(sandbox, ["status"]);
    assert.equal(status.code, 0, status.stderr);

    // A v1 certificate put in place by hand is named in words by status.
    await Deno.copyFile(v1, join(entry, "mtls/tls.crt"));
    const status_v1 = await runCli(sandbox, ["status"]);
    assert.equal(status_v1.code, 1);
    assert.match(status_v1.stderr, /TLS failed: a certificate is X\.509 v1 \(no extensions\)/);
    assert.doesNotMatch(status_v1.stderr, /UnsupportedCertVersion/);

    const notPem = await add(certs.client.key);
    assert.equal(notPem.code, 1);
    assert.match(
      notPem.stderr,
      /^error: The client certificate ".*client\.key" is not a PEM certificate$/m,
    );
  } finally {
    await server.shutdown();
  }
});
