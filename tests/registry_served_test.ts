import assert from "node:assert/strict";
import { join } from "node:path";
import { gatewayTokenPath, readActiveFile } from "../src/registry/mod.ts";
import {
  addUserGateway,
  mayServeUnder,
  newServedToken,
  refuseForeignRegistration,
  registerServedGateway,
  servedGatewayMetadata,
  servedGatewayToken,
  servedRegistrationStep,
} from "../src/register/mod.ts";
import { UserError } from "../src/errors/mod.ts";
import { createSandbox } from "./_helpers/sandbox.ts";
import { sandboxRoots, writeActive } from "./registry_fixture.ts";

// --- the rules, in-process

Deno.test("a served gateway is registered as a local mTLS or plaintext gateway at its client address", () => {
  assert.deepEqual(
    servedGatewayMetadata("dev", { hostname: "127.0.0.1", port: 9000 }, "plaintext"),
    {
      name: "dev",
      gateway_endpoint: "http://127.0.0.1:9000",
      is_remote: false,
      gateway_port: 9000,
      auth_mode: "plaintext",
    },
  );
  assert.deepEqual(servedGatewayMetadata("dev", { hostname: "::1", port: 9000 }, "mtls"), {
    name: "dev",
    gateway_endpoint: "https://[::1]:9000",
    is_remote: false,
    gateway_port: 9000,
    auth_mode: "mtls",
  });
  const cases: [string, string][] = [
    ["::1", "http://[::1]:8090"],
    ["fe80::1%lo", "http://[fe80::1%lo]:8090"],
    ["localhost", "http://localhost:8090"],
    ["10.0.0.7", "http://10.0.0.7:8090"],
  ];
  for (const [hostname, endpoint] of cases) {
    const metadata = servedGatewayMetadata("x", { hostname, port: 8090 }, "plaintext");
    assert.equal(metadata.gateway_endpoint, endpoint, hostname);
  }
});

Deno.test("registering adds a new entry, keeps one at the same endpoint and rewrites any other", () => {
  const wanted = "http://127.0.0.1:8090";
  const cases: [boolean, string | undefined, string][] = [
    [false, undefined, "add"],
    [false, wanted, "add"],
    [true, wanted, "keep"],
    [true, "http://127.0.0.1:9000", "rewrite"],
    [true, "http://[::1]:8090", "rewrite"],
    [true, undefined, "rewrite"],
  ];
  for (const [registered, endpoint, step] of cases) {
    assert.equal(
      servedRegistrationStep({ registered, endpoint }, wanted),
      step,
      `${registered} ${endpoint}`,
    );
  }
});

Deno.test("serve may take a name that is free or that it registered itself", () => {
  assert.equal(mayServeUnder({ registered: false, marked: false }), true);
  assert.equal(mayServeUnder({ registered: false, marked: true }), true);
  assert.equal(mayServeUnder({ registered: true, marked: true }), true);
  assert.equal(mayServeUnder({ registered: true, marked: false }), false);
});

Deno.test("a new API token is 32 random bytes in hex", () => {
  const tokens = new Set(Array.from({ length: 16 }, newServedToken));
  assert.equal(tokens.size, 16);
  for (const token of tokens) assert.match(token, /^[0-9a-f]{64}$/);
});

// --- the files, for real

async function fileText(path: string): Promise<{ text: string; mode: number }> {
  const info = await Deno.stat(path);
  return { text: await Deno.readTextFile(path), mode: info.mode! & 0o777 };
}

Deno.test("registering a new served gateway writes its token, its marker and its metadata, and selects it", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const token = await servedGatewayToken(roots, "local");
  assert.equal(token.stored, false);
  await registerServedGateway(roots, {
    name: "local",
    endpoint: { hostname: "::1", port: 18090 },
    token,
  });
  const dir = join(roots.user, "gateways", "local");
  assert.equal(gatewayTokenPath(roots, "local"), join(dir, "token"));
  assert.deepEqual(await fileText(join(dir, "token")), { text: `${token.value}\n`, mode: 0o600 });
  assert.deepEqual(await fileText(join(dir, "serve.json")), {
    text: '{"served":true}\n',
    mode: 0o600,
  });
  assert.deepEqual(await fileText(join(dir, "metadata.json")), {
    text: [
      "{",
      '  "name": "local",',
      '  "gateway_endpoint": "http://[::1]:18090",',
      '  "is_remote": false,',
      '  "gateway_port": 18090,',
      '  "auth_mode": "plaintext"',
      "}",
    ].join("\n"),
    mode: 0o644,
  });
  assert.equal(readActiveFile(join(roots.user, "active_gateway"), () => {}), "local");
  // The stored token is the one the next serve runs with.
  assert.deepEqual(await servedGatewayToken(roots, "local"), { value: token.value, stored: true });
});

Deno.test("registering again keeps a matching entry, rewrites a moved one, and never selects it anew", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeActive(roots.user, "other");
  const first = await servedGatewayToken(roots, "dev");
  const served = { name: "dev", endpoint: { hostname: "127.0.0.1", port: 18091 }, token: first };
  await registerServedGateway(roots, served);
  const metadataPath = join(roots.user, "gateways", "dev", "metadata.json");
  const before = await Deno.stat(metadataPath);
  const stored = await servedGatewayToken(roots, "dev");
  await registerServedGateway(roots, { ...served, token: stored });
  assert.equal((await Deno.stat(metadataPath)).ino, before.ino, "a matching entry is left alone");
  await registerServedGateway(roots, { ...served, endpoint: { hostname: "::1", port: 18092 } });
  const moved = JSON.parse(await Deno.readTextFile(metadataPath));
  assert.equal(moved.gateway_endpoint, "http://[::1]:18092");
  assert.equal(moved.gateway_port, 18092);
  assert.equal(readActiveFile(join(roots.user, "active_gateway"), () => {}), "other");
  assert.equal(await Deno.readTextFile(gatewayTokenPath(roots, "dev")), `${first.value}\n`);
});

Deno.test("serve refuses the name of an entry it did not register, and takes one it did", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await refuseForeignRegistration(roots, "fresh");
  await addUserGateway(
    roots,
    servedGatewayMetadata("corp", { hostname: "127.0.0.1", port: 1 }, "plaintext"),
  );
  await assert.rejects(refuseForeignRegistration(roots, "corp"), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.equal(
      error.message,
      'Gateway "corp" is already registered and was not created by serve',
    );
    assert.equal(error.hint, "Pick another name with --name");
    return true;
  });
  const token = await servedGatewayToken(roots, "mine");
  await registerServedGateway(roots, {
    name: "mine",
    endpoint: { hostname: "127.0.0.1", port: 18093 },
    token,
  });
  await refuseForeignRegistration(roots, "mine");
});

Deno.test("an empty token file gets a new token; an unreadable one is an error naming it", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const dir = join(roots.user, "gateways", "t");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "token"), "\n");
  const fresh = await servedGatewayToken(roots, "t");
  assert.equal(fresh.stored, false);
  assert.match(fresh.value, /^[0-9a-f]{64}$/);
  await Deno.remove(join(dir, "token"));
  await Deno.mkdir(join(dir, "token"));
  await assert.rejects(servedGatewayToken(roots, "t"), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /^Cannot read the gateway's API token ".*\/gateways\/t\/token"/);
    return true;
  });
});
