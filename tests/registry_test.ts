import assert from "node:assert/strict";
import { join } from "node:path";
import {
  compareText,
  gatewayAuth,
  gatewayListRow,
  type GatewayMetadata,
  gatewayType,
  isPlainMetadata,
  listGateways,
  madeByServe,
  parseGatewayMetadata,
  readGatewayMetadata,
  registryRoots,
  resolveActiveGateway,
  SERVE_MARKER_FILE,
  userGatewayDir,
  validateGatewayName,
} from "../src/registry/mod.ts";
import {
  addUserGateway,
  removeUserGateway,
  selectGateway,
  writeUserGatewayFile,
} from "../src/register/mod.ts";
import { gatewayMetadataSchema } from "../src/registry/_gateway_metadata_schema.ts";
import { UserError } from "../src/errors/user_error.ts";
import { createSandbox } from "./_helpers/sandbox.ts";
import {
  makeUnreadable,
  metadataFor,
  sandboxRoots,
  snapshotTree,
  writeActive,
  writeEntry,
} from "./registry_fixture.ts";

const BAD_NAMES = [
  "",
  ".",
  "..",
  "a/b",
  "/a",
  "a/",
  "../x",
  "a\0b",
  "x".repeat(256),
  "é".repeat(128),
];

function meta(name: string, extra: Record<string, unknown> = {}): GatewayMetadata {
  return metadataFor(name, extra) as GatewayMetadata;
}

function summary(entries: { name: string; source: string; shadowed: boolean }[]): string[] {
  return entries.map((e) => `${e.name}:${e.source}${e.shadowed ? ":shadowed" : ""}`);
}

// --- names

Deno.test("validateGatewayName accepts single path components up to 255 bytes", () => {
  for (const name of ["corp", "a.b", "...", "-x", "with space", "x".repeat(255), "é".repeat(127)]) {
    assert.equal(validateGatewayName(name), name);
  }
});

Deno.test("validateGatewayName rejects multi-component, NUL and over-long names", () => {
  for (const name of BAD_NAMES) {
    assert.throws(() => validateGatewayName(name), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /^invalid gateway name '.*': expected a single path component/s);
      return true;
    }, JSON.stringify(name));
  }
  assert.throws(() => validateGatewayName("a/b"), {
    message: "invalid gateway name 'a/b': expected a single path component",
  });
});

Deno.test("multi-component names are rejected everywhere before any path join", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(sandbox.root, "escape"); // <root>/gateways/escape: what ../../escape would hit
  const before = await snapshotTree(sandbox.root);
  for (const name of ["../../escape", "a/b", "..", "a\0b"]) {
    const invalid = /invalid gateway name/;
    await assert.rejects(readGatewayMetadata(roots, name), invalid);
    await assert.rejects(selectGateway(roots, name), invalid);
    await assert.rejects(removeUserGateway(roots, name), invalid);
    await assert.rejects(addUserGateway(roots, meta(name)), /field "name": invalid gateway name/);
    await assert.rejects(resolveActiveGateway(roots, { flag: name }), invalid);
    assert.throws(() => userGatewayDir(roots, name), invalid);
    await assert.rejects(writeUserGatewayFile(roots, name, "token", "t"), invalid);
  }
  await assert.rejects(resolveActiveGateway(roots, { env: "a/b" }), /OPENSHELL_GATEWAY: invalid/);
  await assert.rejects(writeUserGatewayFile(roots, "ok", "../token", "t"), /invalid/);
  assert.deepEqual(await snapshotTree(sandbox.root), before);
});

// --- roots

Deno.test("system root defaults to /etc/openshell", () => {
  const warnings: string[] = [];
  const roots = registryRoots(
    (n) => ({ HOME: "/home/a" } as Record<string, string>)[n],
    1000,
    (m) => warnings.push(m),
  );
  assert.deepEqual(roots, { user: "/home/a/.config/openshell", system: "/etc/openshell" });
  assert.deepEqual(warnings, []);
});

Deno.test("an absolute system override is used, and XDG_CONFIG_HOME wins over HOME", () => {
  const env: Record<string, string> = {
    HOME: "/home/a",
    XDG_CONFIG_HOME: "/cfg",
    OPENSHELL_SYSTEM_GATEWAY_DIR: "/opt/gw",
  };
  const warnings: string[] = [];
  assert.deepEqual(registryRoots((n) => env[n], 1000, (m) => warnings.push(m)), {
    user: "/cfg/openshell",
    system: "/opt/gw",
  });
  assert.deepEqual(warnings, []);
});

Deno.test("empty and relative system overrides are ignored with exactly one warning", () => {
  for (const value of ["", "relative/dir", "./x"]) {
    const warnings: string[] = [];
    const env: Record<string, string> = { HOME: "/h", OPENSHELL_SYSTEM_GATEWAY_DIR: value };
    const roots = registryRoots((n) => env[n], 1000, (m) => warnings.push(m));
    assert.equal(roots.system, "/etc/openshell");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /OPENSHELL_SYSTEM_GATEWAY_DIR/);
    assert.ok(warnings[0]!.includes(`'${value}'`));
  }
});

Deno.test("no HOME and no XDG_CONFIG_HOME is a clear error", () => {
  assert.throws(() => registryRoots(() => undefined, 1000, () => {}), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /neither XDG_CONFIG_HOME nor HOME is set/);
    return true;
  });
});

// --- listing

Deno.test("listing merges both roots with sources, sorted by name", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, "zeta");
  await writeEntry(roots.user, "alpha");
  await writeEntry(roots.system, "beta");
  const { entries, problems } = await listGateways(roots);
  assert.deepEqual(summary(entries), ["alpha:user", "beta:system", "zeta:user"]);
  assert.deepEqual(problems, []);
  assert.equal(entries[1]!.metadataPath, join(roots.system, "gateways/beta/metadata.json"));
  assert.equal(entries[0]!.metadata.gateway_endpoint, "http://127.0.0.1:8005");
});

Deno.test("a user entry shadows the system entry of the same name", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const userPath = await writeEntry(roots.user, "corp", metadataFor("corp", { is_remote: true }));
  const systemPath = await writeEntry(roots.system, "corp");
  const { entries } = await listGateways(roots);
  assert.deepEqual(summary(entries), ["corp:user"]);
  assert.equal(entries[0]!.metadata.is_remote, true);
  assert.equal(entries[0]!.shadows, systemPath);

  const all = await listGateways(roots, { all: true });
  assert.deepEqual(summary(all.entries), ["corp:user", "corp:system:shadowed"]);
  assert.equal(all.entries[1]!.shadows, userPath);
});

Deno.test("an unparsable user entry still shadows and is reported as a problem", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const userPath = await writeEntry(roots.user, "corp", "{not json");
  await writeEntry(roots.system, "corp");
  const { entries, problems } = await listGateways(roots);
  assert.deepEqual(entries, []);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.name, "corp");
  assert.equal(problems[0]!.source, "user");
  assert.equal(problems[0]!.path, userPath);
  assert.match(
    problems[0]!.message,
    /^Cannot parse metadata ".*corp\/metadata.json": invalid JSON/,
  );
  const all = await listGateways(roots, { all: true });
  assert.deepEqual(summary(all.entries), ["corp:system:shadowed"]);
});

Deno.test("an empty user directory does not hide the system entry", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await Deno.mkdir(join(roots.user, "gateways/corp"), { recursive: true });
  await writeEntry(roots.system, "corp");
  assert.deepEqual(summary((await listGateways(roots)).entries), ["corp:system"]);
});

Deno.test("per-user state for a system gateway does not shadow it", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "corp");
  const tokenPath = await writeUserGatewayFile(roots, "corp", "token", "secret");
  assert.equal((await Deno.stat(tokenPath)).mode! & 0o777, 0o600);
  assert.equal((await Deno.stat(userGatewayDir(roots, "corp"))).mode! & 0o777, 0o700);
  await assert.rejects(Deno.stat(join(userGatewayDir(roots, "corp"), "metadata.json")));
  assert.deepEqual(summary((await listGateways(roots)).entries), ["corp:system"]);
  assert.equal((await readGatewayMetadata(roots, "corp")).source, "system");
  await assert.rejects(writeUserGatewayFile(roots, "corp", "metadata.json", "{}"), TypeError);
});

Deno.test("listing sorts by code point, not by UTF-16 unit or locale", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const names = ["b", "B", "a", "\u{1F600}", "\uFFFD", "é", "a-1", "a.1", "_"];
  for (const [i, name] of names.entries()) {
    await writeEntry(i % 2 ? roots.user : roots.system, name);
  }
  const listed = (await listGateways(roots)).entries.map((e) => e.name);
  assert.deepEqual(listed, ["B", "_", "a", "a-1", "a.1", "b", "é", "\uFFFD", "\u{1F600}"]);
});

Deno.test("compareText orders by code point", () => {
  const points = [0x41, 0x7a, 0xe9, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff];
  const strings = points.map((p) => String.fromCodePoint(p));
  for (let i = 0; i < strings.length; i++) {
    for (let j = 0; j < strings.length; j++) {
      const got = Math.sign(compareText(strings[i]!, strings[j]!));
      assert.equal(got, Math.sign(points[i]! - points[j]!), `${points[i]} vs ${points[j]}`);
    }
  }
  assert.ok(compareText("ab", "abc") < 0);
  assert.equal(compareText("abc", "abc"), 0);
});

Deno.test("bad metadata is reported per entry, naming the file and the field", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const cases: [string, string | Record<string, unknown>, RegExp][] = [
    ["corrupt", '{"name": ', /invalid JSON/],
    ["array", "[1,2]", /expected a JSON object, found an array/],
    ["string", '"corp"', /expected a JSON object, found a string/],
    ["null", "null", /expected a JSON object, found null/],
    [
      "noname",
      { gateway_endpoint: "http://x", is_remote: false, gateway_port: 1 },
      /missing field "name"/,
    ],
    ["port", metadataFor("port", { gateway_port: "80" }), /field "gateway_port": expected number/],
    ["bigport", metadataFor("bigport", { gateway_port: 70000 }), /field "gateway_port"/],
    ["fraction", metadataFor("fraction", { gateway_port: 1.5 }), /field "gateway_port"/],
    ["remote", metadataFor("remote", { is_remote: "yes" }), /field "is_remote": expected boolean/],
    ["host", metadataFor("host", { remote_host: 5 }), /field "remote_host": expected string/],
    ["slash", metadataFor("a/b"), /field "name": invalid gateway name/],
  ];
  for (const [dir, content] of cases) await writeEntry(roots.system, dir, content);
  const dirPath = join(roots.user, "gateways/isdir/metadata.json");
  await Deno.mkdir(dirPath, { recursive: true });
  await makeUnreadable(join(roots.user, "gateways/loop/metadata.json"));
  await writeEntry(roots.system, "good");

  const { entries, problems } = await listGateways(roots);
  assert.deepEqual(summary(entries), ["good:system"]);
  const byName = new Map(problems.map((p) => [p.name, p]));
  for (const [dir, , pattern] of cases) {
    const problem = byName.get(dir);
    assert.ok(problem, dir);
    assert.equal(problem.source, "system");
    assert.ok(problem.message.includes(`"${problem.path}"`), problem.message);
    assert.match(problem.message, pattern, dir);
  }
  assert.match(
    byName.get("isdir")!.message,
    /^Cannot read metadata ".*isdir\/metadata.json": is a directory$/,
  );
  assert.match(byName.get("loop")!.message, /^Cannot read metadata ".*loop\/metadata.json": /);
  assert.equal(problems.length, cases.length + 2);
});

Deno.test("unknown fields and the cf_* aliases are accepted", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(
    roots.user,
    "cf",
    metadataFor("cf", {
      auth_mode: "cloudflare_jwt",
      cf_team_domain: "team.example",
      cf_auth_url: "https://auth.example",
      future_field: { nested: true },
      oidc_scopes: null,
    }),
  );
  const { metadata } = await readGatewayMetadata(roots, "cf");
  assert.equal(metadata.edge_team_domain, "team.example");
  assert.equal(metadata.edge_auth_url, "https://auth.example");
  assert.deepEqual(metadata["future_field"], { nested: true });
  assert.equal(gatewayType(metadata), "cloud");
  // A listing takes such a file through the schema as well, next to ordinary ones.
  await writeEntry(roots.user, "plain");
  const { entries, problems } = await listGateways(roots);
  assert.deepEqual(problems, []);
  assert.deepEqual(entries.map((e) => e.metadata), [
    metadata,
    (await readGatewayMetadata(roots, "plain")).metadata,
  ]);
  assert.equal(entries[0]!.metadata.cf_team_domain, undefined);
});

Deno.test("a system root that does not exist simply has no entries", async () => {
  await using sandbox = await createSandbox();
  const roots = { user: sandboxRoots(sandbox).user, system: join(sandbox.root, "nope/deeper") };
  await writeEntry(roots.user, "mine");
  assert.deepEqual(summary((await listGateways(roots)).entries), ["mine:user"]);
  assert.equal(await resolveActiveGateway(roots), undefined);
});

Deno.test("a gateways directory that cannot be read fails with its path", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await Deno.mkdir(roots.system, { recursive: true });
  await Deno.writeTextFile(join(roots.system, "gateways"), "not a directory");
  await assert.rejects(listGateways(roots), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.equal(
      error.message,
      `Cannot read gateway directory "${join(roots.system, "gateways")}": not a directory`,
    );
    return true;
  });
  if (Deno.uid() !== 0) {
    await Deno.remove(join(roots.system, "gateways"));
    await Deno.mkdir(join(roots.system, "gateways"), { mode: 0o000 });
    await Deno.chmod(join(roots.system, "gateways"), 0o000);
    await assert.rejects(listGateways(roots), /permission denied/);
  }
});

// --- active gateway

Deno.test("active gateway precedence: flag, env, user file, system file", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const userFile = await writeActive(roots.user, "from-user");
  const systemFile = await writeActive(roots.system, "from-system");
  assert.deepEqual(await resolveActiveGateway(roots, { flag: "f", env: "e" }), {
    name: "f",
    reason: "flag",
    path: undefined,
  });
  assert.deepEqual(await resolveActiveGateway(roots, { env: " e \n" }), {
    name: "e",
    reason: "env",
    path: undefined,
  });
  assert.deepEqual(await resolveActiveGateway(roots, { env: "  " }), {
    name: "from-user",
    reason: "user",
    path: userFile,
  });
  await Deno.remove(userFile);
  assert.deepEqual(await resolveActiveGateway(roots, { env: "" }), {
    name: "from-system",
    reason: "system",
    path: systemFile,
  });
  await Deno.remove(systemFile);
  assert.equal(await resolveActiveGateway(roots), undefined);
});

Deno.test("active falls back to system when the user file is blank, invalid or unreadable", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeActive(roots.system, "sys\n");
  const userFile = join(roots.user, "active_gateway");
  const cases: [string, () => Promise<unknown>, RegExp | undefined][] = [
    ["blank", () => writeActive(roots.user, " \n\t"), undefined],
    ["invalid", () => writeActive(roots.user, "../evil"), /invalid gateway name '..\/evil'/],
    ["directory", () => Deno.mkdir(userFile, { recursive: true }), /is a directory/],
    ["loop", () => makeUnreadable(userFile), /active gateway file/],
  ];
  for (const [label, setup, warning] of cases) {
    await Deno.remove(userFile, { recursive: true }).catch(() => {});
    await setup();
    const warnings: string[] = [];
    const active = await resolveActiveGateway(roots, { warn: (m) => warnings.push(m) });
    assert.equal(active?.name, "sys", label);
    assert.equal(active?.reason, "system", label);
    if (warning) {
      assert.equal(warnings.length, 1, label);
      assert.match(warnings[0]!, warning, label);
      assert.ok(warnings[0]!.includes(userFile), label);
    } else assert.deepEqual(warnings, [], label);
  }
});

Deno.test("the user active file is preferred and the system file is then never read", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeActive(roots.user, "mine");
  await makeUnreadable(join(roots.system, "active_gateway"));
  const warnings: string[] = [];
  const active = await resolveActiveGateway(roots, { warn: (m) => warnings.push(m) });
  assert.deepEqual(active, {
    name: "mine",
    reason: "user",
    path: join(roots.user, "active_gateway"),
  });
  assert.deepEqual(warnings, []);
});

Deno.test("a user active file naming a missing gateway does not fall back", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "sys");
  await writeActive(roots.system, "sys");
  await writeActive(roots.user, "gone");
  const active = await resolveActiveGateway(roots);
  assert.equal(active?.name, "gone");
  assert.equal(active?.reason, "user");
  await assert.rejects(readGatewayMetadata(roots, active.name), /Gateway 'gone' not found/);
});

// --- metadata lookup

Deno.test("metadata falls back to system, prefers user, and names both paths when missing", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const systemPath = await writeEntry(roots.system, "corp");
  let found = await readGatewayMetadata(roots, "corp");
  assert.equal(found.source, "system");
  assert.equal(found.metadataPath, systemPath);
  const userPath = await writeEntry(roots.user, "corp", metadataFor("corp", { gateway_port: 9 }));
  found = await readGatewayMetadata(roots, "corp");
  assert.equal(found.source, "user");
  assert.equal(found.metadataPath, userPath);
  assert.equal(found.metadata.gateway_port, 9);
  assert.equal(found.shadows, systemPath);

  await assert.rejects(readGatewayMetadata(roots, "other"), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.ok(error.message.includes(join(roots.user, "gateways/other/metadata.json")));
    assert.ok(error.message.includes(join(roots.system, "gateways/other/metadata.json")));
    assert.match(error.message, /^Gateway 'other' not found: searched/);
    return true;
  });
});

Deno.test("a broken user metadata file is an error, not a fall back to system", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "corp");
  const userPath = await writeEntry(roots.user, "corp", "{}");
  await assert.rejects(readGatewayMetadata(roots, "corp"), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.ok(
      error.message.startsWith(`Cannot parse metadata "${userPath}": missing field "name"`),
    );
    return true;
  });
});

// --- writes

Deno.test("select writes the user active file without a newline and never the system root", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "sys");
  await writeActive(roots.system, "other");
  const systemBefore = await snapshotTree(roots.system);
  const resolved = await selectGateway(roots, "sys");
  assert.equal(resolved.source, "system");
  assert.equal(await Deno.readTextFile(join(roots.user, "active_gateway")), "sys");
  assert.equal((await Deno.stat(roots.user)).mode! & 0o777, 0o700);
  assert.deepEqual(await snapshotTree(roots.system), systemBefore);
  assert.equal((await resolveActiveGateway(roots))?.name, "sys");
});

Deno.test("select refuses an unknown gateway and leaves the active file alone", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, "a");
  await writeActive(roots.user, "a");
  await assert.rejects(selectGateway(roots, "missing"), /Gateway 'missing' not found/);
  assert.equal(await Deno.readTextFile(join(roots.user, "active_gateway")), "a");
});

Deno.test("add stores pretty metadata in a 0700 directory and refuses an existing user entry", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const result = await addUserGateway(roots, meta("corp"), { activate: "always" });
  assert.equal(result.activated, true);
  const path = join(roots.user, "gateways/corp/metadata.json");
  assert.equal(result.metadataPath, path);
  const text = await Deno.readTextFile(path);
  assert.equal(text, JSON.stringify(metadataFor("corp"), null, 2));
  assert.equal((await Deno.stat(join(roots.user, "gateways/corp"))).mode! & 0o777, 0o700);
  assert.equal(await Deno.readTextFile(join(roots.user, "active_gateway")), "corp");

  const before = await snapshotTree(roots.user);
  await assert.rejects(
    addUserGateway(roots, meta("corp", { gateway_port: 1 })),
    (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.message, "Gateway 'corp' already exists.");
      return true;
    },
  );
  assert.deepEqual(await snapshotTree(roots.user), before);
});

Deno.test("add refuses an unparsable user entry too, and keeps it", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, "corp", "garbage");
  await assert.rejects(addUserGateway(roots, meta("corp")), /Gateway 'corp' already exists\./);
  assert.equal(await Deno.readTextFile(join(roots.user, "gateways/corp/metadata.json")), "garbage");
});

Deno.test("add may shadow a system-only name and keeps per-user state next to it", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "corp");
  await writeUserGatewayFile(roots, "corp", "token", "t");
  await addUserGateway(roots, meta("corp", { gateway_port: 7 }));
  const { entries } = await listGateways(roots);
  assert.deepEqual(summary(entries), ["corp:user"]);
  assert.equal(entries[0]!.metadata.gateway_port, 7);
  assert.equal(await Deno.readTextFile(join(userGatewayDir(roots, "corp"), "token")), "t");
});

Deno.test("add activates only as asked: never by default, if-none, always", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  assert.equal((await addUserGateway(roots, meta("a"))).activated, false);
  assert.equal(await resolveActiveGateway(roots), undefined);
  assert.equal((await addUserGateway(roots, meta("b"), { activate: "if-none" })).activated, true);
  assert.equal((await resolveActiveGateway(roots))?.name, "b");
  assert.equal((await addUserGateway(roots, meta("c"), { activate: "if-none" })).activated, false);
  assert.equal((await resolveActiveGateway(roots))?.name, "b");
  assert.equal((await addUserGateway(roots, meta("d"), { activate: "always" })).activated, true);
  assert.equal((await resolveActiveGateway(roots))?.name, "d");
});

Deno.test("add copies mTLS files with the key 0600, and leaves nothing when a copy fails", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const files = {
    ca: join(sandbox.root, "ca.pem"),
    cert: join(sandbox.root, "c.pem"),
    key: join(sandbox.root, "k.pem"),
  };
  await Deno.writeTextFile(files.ca, "CA");
  await Deno.writeTextFile(files.cert, "CERT");
  await Deno.writeTextFile(files.key, "KEY", { mode: 0o644 });
  await addUserGateway(roots, meta("tls", { gateway_endpoint: "https://h:1", auth_mode: "mtls" }), {
    mtls: files,
  });
  const mtls = join(userGatewayDir(roots, "tls"), "mtls");
  assert.equal(await Deno.readTextFile(join(mtls, "ca.crt")), "CA");
  assert.equal(await Deno.readTextFile(join(mtls, "tls.crt")), "CERT");
  assert.equal(await Deno.readTextFile(join(mtls, "tls.key")), "KEY");
  assert.equal((await Deno.stat(join(mtls, "tls.key"))).mode! & 0o777, 0o600);
  assert.deepEqual(
    Object.keys(await snapshotTree(userGatewayDir(roots, "tls"))).sort(),
    ["metadata.json", "mtls/", "mtls/ca.crt", "mtls/tls.crt", "mtls/tls.key"],
  );

  const before = await snapshotTree(roots.user);
  const missing = { ...files, key: join(sandbox.root, "absent.pem") };
  await assert.rejects(
    addUserGateway(roots, meta("broken"), { mtls: missing }),
    /Cannot copy --key file ".*absent.pem"/,
  );
  assert.deepEqual(await snapshotTree(roots.user), before);
  await assert.rejects(addUserGateway(roots, meta("tls"), { mtls: files }), /already exists/);
  assert.deepEqual(await snapshotTree(roots.user), before);
});

Deno.test("two concurrent adds of one name: exactly one wins, the file stays valid", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const results = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => addUserGateway(roots, meta("race", { gateway_port: i }))),
  );
  assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
  const { entries, problems } = await listGateways(roots);
  assert.deepEqual(summary(entries), ["race:user"]);
  assert.deepEqual(problems, []);
  const leftovers = (await Array.fromAsync(Deno.readDir(userGatewayDir(roots, "race")))).map((e) =>
    e.name
  );
  assert.deepEqual(leftovers, ["metadata.json"]);
});

Deno.test("remove refuses a system-only entry, which stays listed", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "sys");
  const before = await snapshotTree(sandbox.root);
  await assert.rejects(removeUserGateway(roots, "sys"), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /installed by the system and cannot be removed from user config/);
    return true;
  });
  assert.deepEqual(await snapshotTree(sandbox.root), before);
  assert.deepEqual(summary((await listGateways(roots)).entries), ["sys:system"]);
  await assert.rejects(removeUserGateway(roots, "nobody"), /Gateway 'nobody' not found/);
});

Deno.test("removing a shadowing user entry uncovers the system one and keeps per-user state", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "corp");
  await writeUserGatewayFile(roots, "corp", "token", "t");
  await addUserGateway(roots, meta("corp"), { activate: "always" });
  const result = await removeUserGateway(roots, "corp");
  assert.equal(result.clearedActive, true);
  assert.equal(result.uncovered, join(roots.system, "gateways/corp/metadata.json"));
  assert.deepEqual(summary((await listGateways(roots)).entries), ["corp:system"]);
  assert.equal(await Deno.readTextFile(join(userGatewayDir(roots, "corp"), "token")), "t");
  await assert.rejects(Deno.stat(join(roots.user, "active_gateway")));
});

Deno.test("removing a user-only entry deletes its directory and keeps another active", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await addUserGateway(roots, meta("a"), { activate: "always" });
  await addUserGateway(roots, meta("b"));
  const result = await removeUserGateway(roots, "b");
  assert.equal(result.clearedActive, false);
  await assert.rejects(Deno.stat(userGatewayDir(roots, "b")));
  assert.equal(await Deno.readTextFile(join(roots.user, "active_gateway")), "a");
  assert.deepEqual(summary((await listGateways(roots)).entries), ["a:user"]);
});

// --- derived columns

Deno.test("gatewayType and gatewayAuth follow the reference", () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [
      { gateway_endpoint: "http://h", is_remote: false, auth_mode: undefined },
      "local",
      "plaintext",
    ],
    [
      { gateway_endpoint: "HTTP://h", is_remote: true, auth_mode: undefined },
      "remote",
      "plaintext",
    ],
    [{ gateway_endpoint: "https://h", is_remote: false, auth_mode: undefined }, "local", "mtls"],
    [{ gateway_endpoint: "h:8080", is_remote: true, auth_mode: null }, "remote", "mtls"],
    [
      { gateway_endpoint: "https://h", is_remote: true, auth_mode: "cloudflare_jwt" },
      "cloud",
      "cloudflare_jwt",
    ],
    [
      { gateway_endpoint: "https://h", is_remote: false, auth_mode: "cloudflare_jwt" },
      "cloud",
      "cloudflare_jwt",
    ],
    [{ gateway_endpoint: "https://h", is_remote: true, auth_mode: "oidc" }, "remote", "oidc"],
    [{ gateway_endpoint: "http://h", is_remote: false, auth_mode: "mtls" }, "local", "mtls"],
    [
      { gateway_endpoint: "https://h", is_remote: false, auth_mode: "plaintext" },
      "local",
      "plaintext",
    ],
  ];
  for (const [fields, type, auth] of cases) {
    const metadata = { name: "x", gateway_port: 0, ...fields } as GatewayMetadata;
    assert.equal(gatewayType(metadata), type, JSON.stringify(fields));
    assert.equal(gatewayAuth(metadata), auth, JSON.stringify(fields));
  }
});

Deno.test("the JSON row has upstream's keys in order, with nulls for absent hosts", () => {
  const entry = {
    name: "corp",
    source: "system" as const,
    metadataPath: "/etc/openshell/gateways/corp/metadata.json",
    metadata: meta("corp", { is_remote: true, remote_host: "me@host" }),
    shadowed: false,
    shadows: undefined,
  };
  const row = gatewayListRow(entry, { active: "corp" });
  assert.equal(
    JSON.stringify(row),
    '{"active":true,"auth":"plaintext","endpoint":"http://127.0.0.1:8004","is_remote":true,' +
      '"name":"corp","remote_host":"me@host","resolved_host":null,"served":false,"source":"system",' +
      '"type":"remote"}',
  );
  const full = gatewayListRow({ ...entry, shadowed: true }, {
    active: "corp",
    all: true,
    showOrigin: true,
  });
  assert.deepEqual(Object.keys(full), [
    "active",
    "auth",
    "endpoint",
    "is_remote",
    "name",
    "origin",
    "remote_host",
    "resolved_host",
    "served",
    "shadowed",
    "source",
    "type",
  ]);
  assert.equal(full.active, false);
  assert.equal(full.origin, entry.metadataPath);
  // A system entry a packaged service serves is served; a shadowed one is not the one served.
  const served = new Set(["corp"]);
  assert.equal(gatewayListRow(entry, { served }).served, true);
  assert.equal(gatewayListRow({ ...entry, source: "user" }, { served }).served, true);
  assert.equal(gatewayListRow({ ...entry, shadowed: true }, { served }).served, false);
  assert.equal(gatewayListRow(entry, { served: new Set(["other"]) }).served, false);
});

Deno.test("name length is counted in UTF-8 bytes, surrogate pairs as 4", () => {
  assert.equal(validateGatewayName("\u{1F600}".repeat(63) + "abc"), "\u{1F600}".repeat(63) + "abc");
  assert.throws(() => validateGatewayName("\u{1F600}".repeat(64)), /at most 255 bytes/);
  assert.equal(validateGatewayName("\u20AC".repeat(85)), "\u20AC".repeat(85));
  assert.throws(() => validateGatewayName("\u20AC".repeat(86)), /at most 255 bytes/);
});

Deno.test("the schema-free fast path accepts only what the schema returns unchanged", async () => {
  const base = { name: "a", gateway_endpoint: "http://h", is_remote: false, gateway_port: 0 };
  const candidates: Record<string, unknown>[] = [
    base,
    { ...base, auth_mode: "oidc", remote_host: null, extra: [1, { x: 2 }] },
    { ...base, gateway_port: 65535, vm_driver_state_dir: "/v" },
    { ...base, gateway_port: 65536 },
    { ...base, gateway_port: -1 },
    { ...base, gateway_port: 1.5 },
    { ...base, gateway_port: "1" },
    { ...base, is_remote: 0 },
    { ...base, name: "a/b" },
    { ...base, name: 1 },
    { ...base, gateway_endpoint: null },
    { ...base, oidc_scopes: 3 },
    { ...base, cf_team_domain: "t" },
    { ...base, cf_auth_url: "u", edge_auth_url: "e" },
    { gateway_endpoint: "http://h", is_remote: false, gateway_port: 0 },
  ];
  let fast = 0;
  for (const candidate of candidates) {
    const schema = gatewayMetadataSchema.safeParse(candidate);
    if (isPlainMetadata(candidate)) {
      fast++;
      assert.ok(schema.success, JSON.stringify(candidate));
      assert.deepEqual(schema.data, candidate);
    }
    // Either way the public parser agrees with the schema.
    const text = JSON.stringify(candidate);
    if (schema.success) {
      assert.deepEqual(await parseGatewayMetadata(text, "m.json"), schema.data);
    } else {
      await assert.rejects(parseGatewayMetadata(text, "m.json"), /Cannot parse metadata "m.json"/);
    }
  }
  assert.equal(fast, 3);
});

Deno.test("madeByServe: a user entry with serve's marker as a regular file, no other", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const marker = (root: string, name: string) => join(root, "gateways", name, SERVE_MARKER_FILE);
  for (const name of ["served", "linked", "plain", "dir"]) await writeEntry(roots.user, name);
  await writeEntry(roots.system, "system");
  await Deno.writeTextFile(marker(roots.user, "served"), '{"served":true}\n');
  await Deno.symlink(marker(roots.user, "served"), marker(roots.user, "linked"));
  await Deno.mkdir(marker(roots.user, "dir"));
  await Deno.writeTextFile(marker(roots.system, "system"), '{"served":true}\n');
  // A metadata file reached through a link is still read, and one that is not there is none.
  await Deno.mkdir(join(roots.user, "gateways/linkedmeta"));
  await Deno.symlink(
    join(roots.user, "gateways/plain/metadata.json"),
    join(roots.user, "gateways/linkedmeta/metadata.json"),
  );
  await Deno.mkdir(join(roots.user, "gateways/empty"));
  const { entries, problems } = await listGateways(roots);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    entries.map((e) => [e.name, e.source, e.source === "user" && madeByServe(roots, e.name)]),
    [
      ["dir", "user", false],
      ["linked", "user", false],
      ["plain", "user", false],
      ["plain", "user", false],
      ["served", "user", true],
      ["system", "system", false],
    ],
  );
});
