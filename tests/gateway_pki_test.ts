/**
 * The served gateway's PKI: what it generates (checked with openssl, not with the library
 * that made it) and what makes a stored one unfit.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  DEFAULT_SERVER_NAMES,
  type GatewayPki,
  generateGatewayPki,
  pkiMismatch,
  serverNames,
} from "../src/pki/mod.ts";
import { runCommand } from "./_helpers/run_command.ts";

async function openssl(dir: string, ...args: string[]): Promise<string> {
  const run = await runCommand(["openssl", ...args], { cwd: dir, env: { PATH: "/usr/bin:/bin" } });
  assert.equal(run.code, 0, run.stderr);
  return run.stdout;
}

async function written(pki: GatewayPki): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "openshell-pki-" });
  for (const [part, pem] of Object.entries(pki)) await Deno.writeTextFile(join(dir, part), pem);
  return dir;
}

Deno.test("the server certificate covers upstream's names and the listen host; openssl verifies the chain", async () => {
  const pki = await generateGatewayPki(serverNames("192.0.2.7"));
  const dir = await written(pki);
  try {
    const sans = await openssl(
      dir,
      "x509",
      "-in",
      "serverCert",
      "-noout",
      "-ext",
      "subjectAltName",
    );
    for (
      const name of [
        "localhost",
        "127.0.0.1",
        "host.containers.internal",
        "openshell.localhost",
        "*.openshell.localhost",
        "192.0.2.7",
      ]
    ) {
      assert.ok(sans.includes(name), `${name} in ${sans}`);
    }
    assert.match(sans, /IP Address:0:0:0:0:0:0:0:1/);
    assert.match(sans, /DNS:localhost/);
    assert.match(sans, /IP Address:127\.0\.0\.1/);
    const verified = await openssl(
      dir,
      "verify",
      "-CAfile",
      "ca",
      "-purpose",
      "sslserver",
      "serverCert",
    );
    assert.match(verified, /serverCert: OK/);
    assert.match(
      await openssl(dir, "verify", "-CAfile", "ca", "-purpose", "sslclient", "clientCert"),
      /OK/,
    );
    assert.match(
      await openssl(dir, "x509", "-in", "clientCert", "-noout", "-subject"),
      /CN ?= ?openshell-client/,
    );
    assert.match(
      await openssl(dir, "x509", "-in", "ca", "-noout", "-ext", "basicConstraints"),
      /CA:TRUE/,
    );
    // Each key is its certificate's.
    for (const [cert, key] of [["serverCert", "serverKey"], ["clientCert", "clientKey"]] as const) {
      const fromCert = await openssl(dir, "x509", "-in", cert, "-noout", "-pubkey");
      const fromKey = await openssl(dir, "pkey", "-in", key, "-pubout");
      assert.equal(fromKey, fromCert);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serverNames: upstream's defaults, plus a specific listen host once", () => {
  assert.deepEqual(serverNames("127.0.0.1"), [...DEFAULT_SERVER_NAMES]);
  assert.deepEqual(serverNames("0.0.0.0"), [...DEFAULT_SERVER_NAMES]);
  assert.deepEqual(serverNames("::"), [...DEFAULT_SERVER_NAMES]);
  assert.deepEqual(serverNames("gw.example"), [...DEFAULT_SERVER_NAMES, "gw.example"]);
  assert.deepEqual(serverNames("[fd00::1]"), [...DEFAULT_SERVER_NAMES, "fd00::1"]);
});

Deno.test("pkiMismatch accepts a fitting PKI and names what makes one unfit", async () => {
  const names = serverNames("127.0.0.1");
  const pki = await generateGatewayPki(names);
  const other = await generateGatewayPki(names);
  assert.equal(await pkiMismatch(pki, names), undefined);
  assert.equal(await pkiMismatch(pki, serverNames("::1")), undefined, "::1 in any spelling");
  assert.equal(
    await pkiMismatch(pki, serverNames("10.1.2.3")),
    "the server certificate does not cover 10.1.2.3",
  );
  assert.equal(
    await pkiMismatch({ ...pki, ca: other.ca }, names),
    "the server certificate is not signed by the CA or not valid now",
  );
  assert.equal(
    await pkiMismatch({ ...pki, clientCert: other.clientCert }, names),
    "the client certificate is not signed by the CA or not valid now",
  );
  assert.equal(
    await pkiMismatch({ ...pki, serverKey: other.serverKey }, names),
    "the server key is not its certificate's",
  );
  assert.equal(
    await pkiMismatch({ ...pki, clientKey: "not a key" }, names),
    "the client key is not its certificate's",
  );
  assert.equal(await pkiMismatch({ ...pki, ca: "junk" }, names), "a certificate does not parse");
});
