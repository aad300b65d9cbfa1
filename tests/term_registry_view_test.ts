import assert from "node:assert/strict";
import { join } from "node:path";
import { registryRoots } from "../src/registry/mod.ts";
import {
  gatewayTls,
  overrideWarning,
  problemDetail,
  readSnapshot,
  termRegistry,
} from "../src/term/registry_view.ts";
import { createSandbox, type Sandbox } from "./_helpers/sandbox.ts";
import { writeEntry } from "./registry_fixture.ts";

function writeGateway(root: string, name: string, fields: Record<string, unknown> = {}) {
  return writeEntry(root, name, {
    name,
    gateway_endpoint: `http://127.0.0.1:9/${name}`,
    is_remote: false,
    gateway_port: 0,
    ...fields,
  });
}

function rootsOf(sandbox: Sandbox) {
  const warnings: string[] = [];
  const roots = registryRoots((name) => sandbox.env[name], 1000, (w) => warnings.push(w));
  assert.deepEqual(warnings, []);
  return roots;
}

const NONE = { flag: undefined, env: undefined };

Deno.test("a snapshot merges user, system and unreadable entries by name, with types", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.user, "mine", { auth_mode: "plaintext" });
  await writeGateway(roots.system, "corp", { is_remote: true });
  await writeGateway(roots.system, "edge", { auth_mode: "cloudflare_jwt" });
  await writeGateway(roots.system, "mine", { gateway_endpoint: "https://hidden.example" });
  await writeEntry(roots.user, "broken", "{");

  const snapshot = await readSnapshot(roots, NONE);
  assert.deepEqual(snapshot.rows.map((row) => [row.name, row.kind, row.source]), [
    ["broken", "problem", "user"],
    ["corp", "gateway", "system"],
    ["edge", "gateway", "system"],
    ["mine", "gateway", "user"],
  ]);
  const byName = Object.fromEntries(snapshot.rows.map((row) => [row.name, row]));
  assert.equal(byName.corp?.kind === "gateway" && byName.corp.type, "remote");
  assert.equal(byName.edge?.kind === "gateway" && byName.edge.type, "cloud");
  assert.equal(byName.mine?.kind === "gateway" && byName.mine.type, "local");
  assert.equal(
    byName.mine?.kind === "gateway" && byName.mine.endpoint,
    "http://127.0.0.1:9/mine",
    "the user entry shadows the system one",
  );
  const broken = byName.broken;
  assert.ok(broken?.kind === "problem");
  assert.equal(broken.path, join(roots.user, "gateways", "broken", "metadata.json"));
  assert.match(broken.message, /^invalid JSON/, "the path is not repeated in the message");
  assert.equal(snapshot.active, undefined);
  assert.equal(snapshot.activeError, undefined);
});

Deno.test("the active gateway follows flag, variable, user file, system file", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.system, "corp");
  await writeGateway(roots.user, "dev");
  await Deno.writeTextFile(join(roots.system, "active_gateway"), "corp\n");
  assert.deepEqual((await readSnapshot(roots, NONE)).active, { name: "corp", reason: "system" });
  await Deno.writeTextFile(join(roots.user, "active_gateway"), "dev");
  assert.deepEqual((await readSnapshot(roots, NONE)).active, { name: "dev", reason: "user" });
  assert.deepEqual(
    (await readSnapshot(roots, { flag: undefined, env: "corp" })).active,
    { name: "corp", reason: "env" },
  );
  assert.deepEqual(
    (await readSnapshot(roots, { flag: "corp", env: "dev" })).active,
    { name: "corp", reason: "flag" },
  );
});

Deno.test("an invalid override is reported in the snapshot instead of failing the read", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.user, "dev");
  const snapshot = await readSnapshot(roots, { flag: undefined, env: "a/b" });
  assert.equal(snapshot.active, undefined);
  assert.match(snapshot.activeError ?? "", /OPENSHELL_GATEWAY: invalid gateway name 'a\/b'/);
  assert.equal(snapshot.rows.length, 1);
});

Deno.test("select writes the user active file only, for system, plaintext and token gateways", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.system, "corp", { auth_mode: "plaintext" });
  const registry = termRegistry(roots, NONE);
  assert.equal(await registry.select("corp"), undefined);
  assert.equal(await Deno.readTextFile(join(roots.user, "active_gateway")), "corp");
  await assert.rejects(Deno.stat(join(roots.system, "active_gateway")), Deno.errors.NotFound);
  await assert.rejects(registry.select("missing"), /missing/);
  await writeGateway(roots.user, "edge", { auth_mode: "cloudflare_jwt" });
  await writeGateway(roots.system, "sso", { auth_mode: "oidc", oidc_issuer: "https://id.example" });
  for (const name of ["edge", "sso"]) {
    await registry.select(name);
    assert.equal(await Deno.readTextFile(join(roots.user, "active_gateway")), name);
    assert.deepEqual((await registry.read()).active, { name, reason: "user" });
  }
});

Deno.test("select warns when -g or OPENSHELL_GATEWAY still wins over the choice", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.user, "dev");
  await writeGateway(roots.user, "corp");
  assert.equal(
    await termRegistry(roots, { flag: undefined, env: "corp" }).select("dev"),
    "OPENSHELL_GATEWAY='corp' overrides it in this shell",
  );
  assert.equal(
    await termRegistry(roots, { flag: "corp", env: undefined }).select("dev"),
    "--gateway 'corp' overrides it in this session",
  );
  assert.equal(overrideWarning("dev", { flag: undefined, env: " dev " }), undefined);
  assert.equal(overrideWarning("dev", { flag: undefined, env: "  " }), undefined);
  assert.equal(
    overrideWarning("dev", { flag: "dev", env: "corp" }),
    "OPENSHELL_GATEWAY='corp' overrides it in this shell",
  );
});

Deno.test("remove deletes a user entry and refuses a system one with the CLI's message", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.user, "dev");
  await writeGateway(roots.system, "corp");
  const registry = termRegistry(roots, NONE);
  await assert.rejects(
    registry.remove("corp"),
    /Gateway 'corp' is installed by the system and cannot be removed from user config/,
  );
  await registry.remove("dev");
  assert.deepEqual((await registry.read()).rows.map((row) => row.name), ["corp"]);
});

Deno.test("problemDetail drops the file path the registry's message starts with", () => {
  const path = "/r/gateways/a/metadata.json";
  assert.equal(
    problemDetail(`Cannot parse metadata "${path}": missing field "name"`, path),
    'missing field "name"',
  );
  assert.equal(
    problemDetail("Cannot read: permission denied", path),
    "Cannot read: permission denied",
  );
});

Deno.test("mTLS gateways are checked with the material under the user root, others without", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.system, "corp", { gateway_endpoint: "https://corp.example" });
  await writeGateway(roots.user, "dev", { gateway_endpoint: "http://127.0.0.1:1" });
  await writeGateway(roots.user, "sso", {
    gateway_endpoint: "https://sso.example",
    auth_mode: "oidc",
  });
  const snapshot = await readSnapshot(roots, NONE);
  const tls = Object.fromEntries(
    snapshot.rows.map((row) => [row.name, row.kind === "gateway" ? row.tls : "problem"]),
  );
  const mtls = join(roots.user, "gateways", "corp", "mtls");
  assert.deepEqual(tls, {
    corp: { ca: join(mtls, "ca.crt"), cert: join(mtls, "tls.crt"), key: join(mtls, "tls.key") },
    dev: undefined,
    sso: undefined,
  });
  const { entries } = await (await import("../src/registry/mod.ts")).listGateways(roots);
  const odd = { ...entries[0]!, name: "a/b" };
  assert.equal(gatewayTls(roots, odd), undefined, "a name that is no path component");
});

Deno.test("a snapshot marks the gateways served on this machine", async () => {
  await using sandbox = await createSandbox();
  const roots = rootsOf(sandbox);
  await writeGateway(roots.user, "here", { auth_mode: "plaintext" });
  await writeGateway(roots.user, "elsewhere", { auth_mode: "plaintext" });
  const snapshot = await readSnapshot(roots, NONE, (entries) => {
    assert.deepEqual(entries.map((e) => e.name), ["elsewhere", "here"], "asked once, of all");
    return Promise.resolve(new Set(["here"]));
  });
  assert.deepEqual(
    snapshot.rows.map((row) => [row.name, row.kind === "gateway" && row.served === true]),
    [["elsewhere", false], ["here", true]],
  );
});
