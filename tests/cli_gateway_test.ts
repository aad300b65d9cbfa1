import assert from "node:assert/strict";
import { join } from "node:path";
import { makeCertificates } from "./_helpers/certificates.ts";
import { type CliResult, createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import {
  assertGolden,
  makeUnreadable,
  metadataFor,
  sandboxRoots,
  seedRegistry,
  snapshotTree,
  writeActive,
  writeEntry,
} from "./registry_fixture.ts";

async function seeded(): Promise<Sandbox> {
  const sandbox = await createSandbox();
  await seedRegistry(sandboxRoots(sandbox));
  return sandbox;
}

function ok(result: CliResult): CliResult {
  assert.equal(
    result.code,
    0,
    `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
  );
  return result;
}

function failed(result: CliResult, code: 1 | 2, pattern: RegExp): void {
  assert.equal(result.code, code, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^error: /);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
}

async function listJson(sandbox: Sandbox, args: string[] = []) {
  const result = ok(await runCli(sandbox, ["gateway", "list", "-o", "json", ...args]));
  return JSON.parse(result.stdout) as Record<string, unknown>[];
}

Deno.test("gateway list: table shows user and system rows, the active marker and REMOTE", async () => {
  await using sandbox = await seeded();
  const result = ok(await runCli(sandbox, ["gateway", "list"]));
  assert.equal(result.stderr, "");
  await assertGolden("list_table.txt", result.stdout, sandbox.root);
});

Deno.test("gateway list -o json and -o yaml: upstream keys with sources", async () => {
  await using sandbox = await seeded();
  const json = ok(await runCli(sandbox, ["gateway", "list", "-o", "json"]));
  await assertGolden("list.json", json.stdout, sandbox.root);
  const rows = JSON.parse(json.stdout) as { name: string; source: string; active: boolean }[];
  assert.deepEqual(rows.map((r) => `${r.name}:${r.source}`), [
    "alpha:user",
    "corp:user",
    "edge:system",
    "openshell:system",
  ]);
  assert.deepEqual(rows.filter((r) => r.active).map((r) => r.name), ["alpha"]);
  const yaml = ok(await runCli(sandbox, ["gw", "ls", "-o", "yaml"]));
  await assertGolden("list.yaml", yaml.stdout, sandbox.root);
});

Deno.test("gateway list --all --show-origin shows what user entries hide, and where from", async () => {
  await using sandbox = await seeded();
  const table = ok(await runCli(sandbox, ["gateway", "list", "--all", "--show-origin"]));
  await assertGolden("list_all_origin_table.txt", table.stdout, sandbox.root);
  const json = ok(
    await runCli(sandbox, ["gateway", "list", "--all", "--show-origin", "-o", "json"]),
  );
  await assertGolden("list_all_origin.json", json.stdout, sandbox.root);
  const rows = JSON.parse(json.stdout) as { name: string; shadowed: boolean; origin: string }[];
  const hidden = rows.filter((r) => r.shadowed);
  assert.deepEqual(hidden.map((r) => r.origin), [
    join(sandbox.system, "gateways/corp/metadata.json"),
  ]);
});

Deno.test("gateway list with an empty registry: a message and a hint on stderr, exit 0", async () => {
  await using sandbox = await createSandbox();
  const table = ok(await runCli(sandbox, ["gateway", "list"]));
  assert.equal(table.stdout, "");
  assert.equal(
    table.stderr,
    "No gateways found.\nhint: run `openshell gateway add <endpoint>` to add one\n",
  );
  const json = ok(await runCli(sandbox, ["gateway", "list", "-o", "json"]));
  assert.equal(json.stdout, "[]\n");
  const yaml = ok(await runCli(sandbox, ["gateway", "list", "-o", "yaml"]));
  assert.equal(yaml.stdout, "[]\n");
});

Deno.test("a relative or empty system override warns once on stderr; JSON still parses", async () => {
  await using sandbox = await seeded();
  for (const value of ["relative/dir", ""]) {
    const result = ok(
      await runCli(sandbox, ["gateway", "list", "-o", "json"], {
        env: { OPENSHELL_SYSTEM_GATEWAY_DIR: value },
      }),
    );
    const rows = JSON.parse(result.stdout) as { source: string }[];
    assert.ok(rows.some((r) => r.source === "user"));
    const lines = result.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /^warning: ignoring OPENSHELL_SYSTEM_GATEWAY_DIR='/);
  }
});

Deno.test("gateway add can shadow a system entry, and remove uncovers it again", async () => {
  await using sandbox = await seeded();
  const add = ok(
    await runCli(sandbox, ["gateway", "add", "http://10.1.2.3:9000", "--name", "edge"]),
  );
  assert.equal(add.stdout, "");
  assert.match(add.stderr, /Added gateway 'edge'/);
  assert.match(add.stderr, /It hides the system entry/);
  let rows = await listJson(sandbox);
  assert.deepEqual(rows.find((r) => r.name === "edge"), {
    active: true,
    auth: "plaintext",
    endpoint: "http://10.1.2.3:9000",
    is_remote: true,
    name: "edge",
    remote_host: null,
    resolved_host: null,
    served: false,
    source: "user",
    type: "remote",
  });
  const again = await runCli(sandbox, ["gateway", "add", "http://10.9.9.9", "--name", "edge"]);
  failed(again, 1, /^error: Gateway 'edge' already exists\.\n/);

  const remove = ok(await runCli(sandbox, ["gateway", "remove", "edge"]));
  assert.match(remove.stderr, /Removed gateway 'edge'/);
  assert.match(remove.stderr, /is listed again/);
  rows = await listJson(sandbox);
  assert.equal(rows.find((r) => r.name === "edge")?.source, "system");
  // The user's active file named it and was cleared: the system default applies again.
  assert.equal(rows.find((r) => r.active)?.name, "openshell");
});

Deno.test("gateway remove refuses a system-only entry, which survives", async () => {
  await using sandbox = await seeded();
  const before = await snapshotTree(sandbox.root);
  const result = await runCli(sandbox, ["gateway", "rm", "openshell"]);
  failed(result, 1, /installed by the system and cannot be removed from user config/);
  assert.deepEqual(await snapshotTree(sandbox.root), before);
  assert.ok((await listJson(sandbox)).some((r) => r.name === "openshell" && r.source === "system"));
});

Deno.test("gateway add: defaults, mTLS copies and refusals", async () => {
  await using sandbox = await createSandbox();
  ok(await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:8080"]));
  const local = JSON.parse(
    await Deno.readTextFile(join(sandbox.config, "openshell/gateways/openshell/metadata.json")),
  );
  assert.deepEqual(local, {
    name: "openshell",
    gateway_endpoint: "http://127.0.0.1:8080",
    is_remote: false,
    gateway_port: 0,
    auth_mode: "plaintext",
  });
  const certs = await makeCertificates(sandbox.root);
  const pem = { "ca.pem": certs.ca, "cert.pem": certs.client.cert, "key.pem": certs.client.key };
  for (const [name, from] of Object.entries(pem)) {
    await Deno.copyFile(from, join(sandbox.root, name));
  }
  const mtls = ok(
    await runCli(sandbox, [
      "gateway",
      "add",
      "gw.example.com:8443",
      "--remote",
      "me@gw.example.com",
      "--ca",
      "ca.pem",
      "--cert",
      "cert.pem",
      "--key",
      "key.pem",
    ]),
  );
  assert.match(
    mtls.stderr,
    /Added gateway 'gw.example.com' \(https:\/\/gw.example.com:8443, mtls\)/,
  );
  const dir = join(sandbox.config, "openshell/gateways/gw.example.com");
  assert.equal((await Deno.stat(join(dir, "mtls/tls.key"))).mode! & 0o777, 0o600);
  assert.equal(
    await Deno.readTextFile(join(dir, "mtls/ca.crt")),
    await Deno.readTextFile(certs.ca),
  );
  const rows = await listJson(sandbox);
  assert.deepEqual(rows.map((r) => [r.name, r.type, r.auth, r.remote_host, r.active]), [
    ["gw.example.com", "remote", "mtls", "me@gw.example.com", true],
    ["openshell", "local", "plaintext", null, false],
  ]);

  const before = await snapshotTree(sandbox.root);
  const refusals: [string[], 1 | 2, RegExp][] = [
    [
      ["https://cloud.example.com"],
      2,
      /https:\/\/ gateway without --local or --remote; such gateways use a browser login/,
    ],
    [["not a url"], 2, /invalid endpoint 'not a url': not a URL/],
    [["ftp://x.example"], 2, /unsupported scheme 'ftp'/],
    [["http://x.example/path"], 2, /without a path/],
    [["http://"], 2, /invalid endpoint/],
    [["http://a.example", "--local", "--remote", "u@h"], 2, /cannot be used with option/],
    [["https://a.example", "--local", "--ca", "ca.pem"], 2, /must be given together/],
    [
      ["http://a.example", "--ca", "ca.pem", "--cert", "c", "--key", "k"],
      2,
      /https:\/\/ \(mTLS\) gateways only/,
    ],
    [["http://a.example", "--name", "a/b"], 2, /invalid gateway name 'a\/b'/],
    [["http://a.example", "--name", ".."], 2, /invalid gateway name '..'/],
    [["http://a.example", "--name", "x".repeat(256)], 2, /invalid gateway name/],
    [
      ["https://a.example", "--local", "--ca", "nope", "--cert", "cert.pem", "--key", "key.pem"],
      1,
      /Cannot copy --ca file ".*nope": no such file/,
    ],
    [["http://127.0.0.1:9"], 1, /Gateway 'openshell' already exists\./],
  ];
  for (const [args, code, pattern] of refusals) {
    failed(await runCli(sandbox, ["gateway", "add", ...args]), code, pattern);
    assert.deepEqual(await snapshotTree(sandbox.root), before, args.join(" "));
  }
});

Deno.test("gateway select writes the user active file and warns about OPENSHELL_GATEWAY", async () => {
  await using sandbox = await seeded();
  const activeFile = join(sandbox.config, "openshell/active_gateway");
  const select = ok(await runCli(sandbox, ["gateway", "select", "edge"]));
  assert.equal(select.stdout, "");
  assert.match(select.stderr, /^Active gateway: edge \(system, https:\/\/edge.example.com\)\n$/);
  assert.equal(await Deno.readTextFile(activeFile), "edge");

  const overridden = ok(
    await runCli(sandbox, ["gateway", "select", "corp"], { env: { OPENSHELL_GATEWAY: "alpha" } }),
  );
  assert.match(overridden.stderr, /warning: OPENSHELL_GATEWAY='alpha' is set and overrides/);
  assert.equal(await Deno.readTextFile(activeFile), "corp");
  const blank = ok(
    await runCli(sandbox, ["gateway", "select", "alpha"], { env: { OPENSHELL_GATEWAY: "  " } }),
  );
  assert.doesNotMatch(blank.stderr, /warning/);

  failed(
    await runCli(sandbox, ["gateway", "select", "missing"]),
    1,
    /Gateway 'missing' not found: searched/,
  );
  failed(
    await runCli(sandbox, ["gateway", "select", "../corp"]),
    2,
    /invalid gateway name '..\/corp'/,
  );
  assert.equal(await Deno.readTextFile(activeFile), "alpha");
});

Deno.test("gateway select without a name and without a terminal prints the list and a hint", async () => {
  await using sandbox = await seeded();
  const result = ok(await runCli(sandbox, ["gateway", "select"], { stdin: "1\n" }));
  await assertGolden("list_table.txt", result.stdout, sandbox.root);
  assert.equal(result.stderr, "hint: run `openshell gateway select <name>` to choose one\n");
  assert.equal(await Deno.readTextFile(join(sandbox.config, "openshell/active_gateway")), "alpha");
});

Deno.test("gateway info: the resolved registration, what it hides and why it is active", async () => {
  await using sandbox = await seeded();
  const text = ok(await runCli(sandbox, ["gateway", "info", "corp"]));
  await assertGolden("info_corp.txt", text.stdout, sandbox.root);
  const active = ok(await runCli(sandbox, ["gateway", "info"]));
  await assertGolden("info_active.txt", active.stdout, sandbox.root);
  const flagged = ok(await runCli(sandbox, ["-g", "edge", "gateway", "info", "-o", "json"]));
  await assertGolden("info_edge.json", flagged.stdout, sandbox.root);
  const info = JSON.parse(flagged.stdout);
  assert.equal(info.active_reason, "flag");
  assert.equal(info.source, "system");
  const env = ok(
    await runCli(sandbox, ["gateway", "info", "-o", "json"], {
      env: { OPENSHELL_GATEWAY: "corp" },
    }),
  );
  assert.equal(JSON.parse(env.stdout).active_reason, "env");
  assert.equal(JSON.parse(env.stdout).shadows, join(sandbox.system, "gateways/corp/metadata.json"));
});

Deno.test("bad registry files: listed as warnings with the file named, nothing changed", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, "broken", '{"name": "broken",');
  await writeEntry(roots.user, "array", "[]");
  await writeEntry(roots.user, "types", metadataFor("types", { is_remote: "no" }));
  await Deno.mkdir(join(roots.user, "gateways/isdir/metadata.json"), { recursive: true });
  await makeUnreadable(join(roots.system, "gateways/loop/metadata.json"));
  await writeEntry(roots.user, "openshell", "not json"); // shadows the system entry even so
  const before = await snapshotTree(sandbox.root);

  const result = ok(await runCli(sandbox, ["gateway", "list", "-o", "json"]));
  const rows = JSON.parse(result.stdout) as { name: string }[];
  assert.deepEqual(rows.map((r) => r.name), ["alpha", "corp", "edge"]);
  const warnings = result.stderr.trimEnd().split("\n");
  assert.equal(warnings.length, 6, result.stderr);
  for (const warning of warnings) assert.match(warning, /^warning: Cannot (parse|read) metadata "/);
  assert.match(result.stderr, /openshell\/gateways\/broken\/metadata.json": invalid JSON/);
  assert.match(result.stderr, /array\/metadata.json": expected a JSON object, found an array/);
  assert.match(result.stderr, /types\/metadata.json": field "is_remote": expected boolean/);
  assert.match(result.stderr, /isdir\/metadata.json": is a directory/);
  assert.match(result.stderr, /loop\/metadata.json": too many levels of symbolic links/);

  failed(
    await runCli(sandbox, ["gateway", "info", "openshell"]),
    1,
    /Cannot parse metadata ".*openshell\/metadata.json": invalid JSON/,
  );
  failed(await runCli(sandbox, ["gateway", "select", "broken"]), 1, /Cannot parse metadata/);
  assert.deepEqual(await snapshotTree(sandbox.root), before);

  // A broken user entry can be removed, which uncovers the system entry it hid.
  const remove = ok(await runCli(sandbox, ["gateway", "remove", "openshell"]));
  assert.match(remove.stderr, /Removed gateway 'openshell'/);
  const after = JSON.parse(ok(await runCli(sandbox, ["gateway", "list", "-o", "json"])).stdout);
  assert.deepEqual(
    (after as { name: string; source: string }[]).map((r) => `${r.name}:${r.source}`),
    ["alpha:user", "corp:user", "edge:system", "openshell:system"],
  );
});

Deno.test("an active file naming a missing gateway is an error naming it, not a fall back", async () => {
  await using sandbox = await seeded();
  await writeActive(sandboxRoots(sandbox).user, "gone");
  failed(
    await runCli(sandbox, ["gateway", "info"]),
    1,
    /Gateway 'gone' not found: searched ".*" and ".*"/,
  );
  failed(
    await runCli(sandbox, ["status"]),
    1,
    /Active gateway 'gone' from ".*active_gateway": Gateway 'gone' not found/,
  );
  const rows = await listJson(sandbox);
  assert.deepEqual(rows.filter((r) => r.active), []);
});

Deno.test("an invalid active file, -g or OPENSHELL_GATEWAY value is rejected before any path join", async () => {
  await using sandbox = await seeded();
  await writeActive(sandboxRoots(sandbox).user, "../alpha");
  const list = ok(await runCli(sandbox, ["gateway", "list", "-o", "json"]));
  assert.match(
    list.stderr,
    /^warning: ignoring active gateway file ".*": invalid gateway name '..\/alpha'\n$/,
  );
  assert.equal(
    (JSON.parse(list.stdout) as { active: boolean; name: string }[]).find((r) => r.active)?.name,
    "openshell",
  );
  failed(await runCli(sandbox, ["-g", "a/b", "gateway", "info"]), 2, /invalid gateway name 'a\/b'/);
  failed(await runCli(sandbox, ["-g", "a/b", "status"]), 2, /invalid gateway name 'a\/b'/);
  failed(
    await runCli(sandbox, ["gateway", "info"], { env: { OPENSHELL_GATEWAY: "../../x" } }),
    1,
    /OPENSHELL_GATEWAY: invalid gateway name/,
  );
});

Deno.test("a missing system root is fine; an unreadable gateways directory fails with its path", async () => {
  await using sandbox = await createSandbox();
  await writeEntry(sandboxRoots(sandbox).user, "mine");
  const missing = ok(
    await runCli(sandbox, ["gateway", "list", "-o", "json"], {
      env: { OPENSHELL_SYSTEM_GATEWAY_DIR: join(sandbox.root, "does/not/exist") },
    }),
  );
  assert.equal(missing.stderr, "");
  assert.deepEqual((JSON.parse(missing.stdout) as { name: string }[]).map((r) => r.name), ["mine"]);

  await Deno.mkdir(sandbox.system, { recursive: true });
  await Deno.writeTextFile(join(sandbox.system, "gateways"), "");
  failed(
    await runCli(sandbox, ["gateway", "list"]),
    1,
    new RegExp(
      `Cannot read gateway directory "${join(sandbox.system, "gateways")}": not a directory`,
    ),
  );
});

Deno.test("usage errors exit 2 and help describes the commands", async () => {
  await using sandbox = await createSandbox();
  const bad = await runCli(sandbox, ["gateway", "list", "-o", "xml"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /argument 'xml' is invalid/);
  assert.equal((await runCli(sandbox, ["gateway", "add"])).code, 2);
  assert.equal((await runCli(sandbox, ["gateway", "remove"])).code, 2);
  const help = ok(await runCli(sandbox, ["gw", "add", "--help"]));
  for (const option of ["--name", "--local", "--remote", "--ca", "--cert", "--key"]) {
    assert.ok(help.stdout.includes(option), option);
  }
});
