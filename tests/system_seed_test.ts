/**
 * Seeding a system registry: the pure planning in-process (against what install.sh wrote before
 * it ran the program for this), and `openshell system add` / `system select` for real.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { validateGatewayName } from "../src/registry/mod.ts";
import {
  checkSystemDir,
  planSystemAdd,
  planSystemSelect,
  type SeedFound,
  seedMetadata,
  type SystemAddRequest,
} from "../src/register/system_seed.ts";
import { UsageError, UserError } from "../src/errors/mod.ts";
import { createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import golden from "./testdata/registry/system_seed.json" with { type: "json" };

/**
 * Endpoints the installer's former shell copy of the rules accepted but no URL parser reads as
 * written: `[a]` and `[:::]` are no IPv6 addresses, `1a.2.3.4` and `example.123` end in a
 * number (so parsers take them for IPv4 and fail), `0x7f.0.0.1` is read as 127.0.0.1, and the
 * shell took the port of `[::1]:[x]:1` from its last `]:`. Refused now.
 */
const REFUSED_SINCE = new Set([
  "http://1a.2.3.4",
  "http://example.123",
  "http://[a]",
  "http://0x7f.0.0.1",
  "http://[::1]:[x]:1",
  "http://[1.2.3.4]",
  "http://[:::]",
]);

const NOTHING: SeedFound = { metadata: undefined, active: undefined };

function request(overrides: Partial<SystemAddRequest> = {}): SystemAddRequest {
  return {
    name: "corp",
    endpoint: "https://gw.example.com:8443",
    systemDir: "/etc/openshell",
    activate: false,
    replace: false,
    ...overrides,
  };
}

/** The UsageError (exit 2) `run` throws. */
async function usageError(run: () => unknown): Promise<UsageError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof UsageError, `not a usage error: ${error}`);
    return error;
  }
  assert.fail("nothing was thrown");
}

Deno.test("seeded metadata is byte for byte what install.sh wrote, for every recorded input", async (t) => {
  let accepted = 0;
  for (const { name, endpoint, metadata } of golden) {
    await t.step(`${JSON.stringify(name).slice(0, 20)} ${JSON.stringify(endpoint)}`, async () => {
      if (metadata === null || REFUSED_SINCE.has(endpoint)) {
        const error = await usageError(() => planSystemAdd(request({ name, endpoint }), NOTHING));
        assert.match(error.message, /^invalid endpoint for gateway '.*': '.*': \S/);
        assert.match(error.hint ?? "", /without a path/);
        return;
      }
      const plan = await planSystemAdd(request({ name, endpoint }), NOTHING);
      assert.equal(plan.registration.text, metadata);
      assert.equal(plan.registration.path, join("/etc/openshell/gateways", name, "metadata.json"));
      assert.deepEqual(seedMetadata(name, endpoint), JSON.parse(metadata));
      // What is written is an origin URL parsers read back as it is (IPv6 kept as typed).
      const written = plan.metadata.gateway_endpoint;
      const url = new URL(written);
      if (!url.hostname.startsWith("[")) assert.equal(url.origin, written);
      assert.equal(url.pathname, "/");
      accepted++;
    });
  }
  assert.ok(accepted > 40, "the table lost its accepted cases");
  assert.ok(golden.filter((c) => c.metadata === null).length > 30, "too few refusals recorded");
});

Deno.test("an invalid name is a usage error with the registry's own message", async () => {
  for (const name of ["", ".", "..", "a/b", "a".repeat(256)]) {
    assert.throws(() => validateGatewayName(name), UserError);
    const error = await usageError(() => planSystemAdd(request({ name }), NOTHING));
    assert.match(error.message, /^invalid gateway name '.*': expected a single path component/);
    await usageError(() => planSystemSelect({ name, systemDir: "/etc/openshell" }, true, ""));
  }
});

Deno.test("the registration and the active file: created, left unchanged, replaced or refused", async () => {
  const text = (await planSystemAdd(request(), NOTHING)).registration.text;
  const cases: [SeedFound, Partial<SystemAddRequest>, string, string | undefined][] = [
    [NOTHING, {}, "create", undefined],
    [NOTHING, { activate: true }, "create", "create"],
    [{ metadata: text, active: "corp" }, { activate: true }, "unchanged", "unchanged"],
    [{ metadata: text, active: "other" }, { activate: true }, "unchanged", "replace"],
    [{ metadata: text, active: "other" }, {}, "unchanged", undefined],
    [{ metadata: `${text}\n`, active: undefined }, { replace: true }, "replace", undefined],
    [{ metadata: "{}", active: "" }, { replace: true, activate: true }, "replace", "replace"],
  ];
  for (const [found, overrides, registration, activation] of cases) {
    const plan = await planSystemAdd(request(overrides), found);
    assert.equal(plan.registration.action, registration, JSON.stringify([found, overrides]));
    assert.equal(plan.activation?.action, activation);
    if (plan.activation) {
      assert.deepEqual(plan.activation, {
        path: "/etc/openshell/active_gateway",
        text: "corp",
        action: activation,
      });
    }
  }
  await assert.rejects(
    planSystemAdd(request(), { metadata: "{}", active: undefined }),
    (error: unknown) =>
      error instanceof UserError && !(error instanceof UsageError) &&
      /already registered in ".*metadata\.json" with other content/.test(error.message) &&
      /--replace/.test(error.hint ?? ""),
  );
});

Deno.test("select names only a gateway registered in that system root", () => {
  const select = { name: "corp", systemDir: "/srv/reg" };
  assert.equal(planSystemSelect(select, true, undefined).activation.action, "create");
  assert.equal(planSystemSelect(select, true, "corp").activation.action, "unchanged");
  assert.equal(planSystemSelect(select, true, "corp\n").activation.action, "replace");
  assert.throws(
    () => planSystemSelect(select, false, undefined),
    (error: unknown) =>
      error instanceof UserError && error.exitCode === 1 &&
      error.message === `Gateway 'corp' is not registered in the system registry "/srv/reg"`,
  );
});

Deno.test("the system root is absolute, not /, and never the user registry or inside it", async () => {
  const user = ["/home/a/.config/openshell", "/real/home/a/.config/openshell"];
  const accepted: [string, string][] = [
    ["/etc/openshell", "/etc/openshell"],
    ["/etc/openshell/", "/etc/openshell"],
    ["/etc//openshell/.", "/etc/openshell"],
    ["/home/a/.config", "/home/a/.config"],
    ["/home/a/.config/openshell-system", "/home/a/.config/openshell-system"],
    ["/home/a/.config/openshell/../system", "/home/a/.config/system"],
  ];
  for (const [given, dir] of accepted) assert.equal(checkSystemDir(given, user), dir);
  const refused: [string, RegExp][] = [
    ["etc/openshell", /must be an absolute path: 'etc\/openshell'/],
    ["", /must be an absolute path: ''/],
    ["/", /cannot be \//],
    ["//", /cannot be \//],
    ["/home/a/.config/openshell", /refusing to seed system gateways into the user registry/],
    ["/home/a/.config/openshell/", /user registry/],
    ["/home/a/.config/./openshell", /user registry/],
    ["/home/a/.config/openshell/gateways", /user registry/],
    ["/real/home/a/.config/openshell", /user registry/],
  ];
  for (const [given, message] of refused) {
    const error = await usageError(() => checkSystemDir(given, user));
    assert.match(error.message, message);
  }
  assert.equal(checkSystemDir("/home/a/.config/openshell", []), "/home/a/.config/openshell");
});

// --- the commands, for real -----------------------------------------------------------------

function modeOf(path: string): string {
  return ((Deno.statSync(path).mode ?? 0) & 0o7777).toString(8);
}

/** Runs `openshell system <words...> --system-dir <dir>` (words split at spaces). */
async function system(sandbox: Sandbox, dir: string, words: string) {
  return await runCli(sandbox, ["system", ...words.split(" "), "--system-dir", dir]);
}

Deno.test("system add writes the registration and the active file, and a second run changes nothing", async () => {
  await using sandbox = await createSandbox();
  const dir = join(sandbox.root, "etc/openshell");
  const add = await system(sandbox, dir, "add corp Gw.Example.COM:8443 --activate");
  assert.equal(add.code, 0, add.stderr);
  assert.equal(add.stdout, "");
  assert.match(
    add.stderr,
    /^Added system gateway 'corp' \(https:\/\/gw\.example\.com:8443, mtls\)/,
  );
  assert.match(add.stderr, /Made 'corp' the system's active gateway/);
  const metadata = join(dir, "gateways/corp/metadata.json");
  const expected = golden.find((c) => c.endpoint === "Gw.Example.COM:8443")!.metadata!;
  assert.equal(await Deno.readTextFile(metadata), expected.replace('"g"', '"corp"'));
  assert.equal(await Deno.readTextFile(join(dir, "active_gateway")), "corp");
  for (const path of [metadata, join(dir, "active_gateway")]) assert.equal(modeOf(path), "644");
  for (const path of [dir, join(dir, "gateways"), join(dir, "gateways/corp")]) {
    assert.equal(modeOf(path), "755");
  }
  // The system's gateway is what users then see.
  const list = await runCli(sandbox, ["gateway", "list", "-o", "json"], {
    env: { OPENSHELL_SYSTEM_GATEWAY_DIR: dir },
  });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    JSON.parse(list.stdout).map((r: { name: string; source: string; active: boolean }) => [
      r.name,
      r.source,
      r.active,
    ]),
    [["corp", "system", true]],
  );

  const before = await Deno.stat(metadata);
  const again = await system(
    sandbox,
    dir,
    "add corp https://gw.example.com:8443/ --activate -o json",
  );
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, "");
  const report = JSON.parse(again.stdout);
  assert.equal(report.metadata_action, "unchanged");
  assert.equal(report.active_action, "unchanged");
  assert.equal(report.dry_run, false);
  assert.equal(report.metadata_path, metadata);
  assert.deepEqual((await Deno.stat(metadata)).mtime, before.mtime);
  // The fixed keys install.sh reads, one per line.
  assert.match(again.stdout, /^ {2}"metadata_action": "unchanged",$/m);
  assert.match(again.stdout, /^ {2}"active_action": "unchanged",$/m);
});

Deno.test("other content is refused without --replace; --dry-run reports and writes nothing", async () => {
  await using sandbox = await createSandbox();
  const dir = join(sandbox.root, "reg");
  const metadata = join(dir, "gateways/corp/metadata.json");
  assert.equal(
    (await system(sandbox, dir, "add corp http://10.0.0.1")).code,
    0,
  );
  const first = await Deno.readTextFile(metadata);

  // Operands after `--`, as install.sh passes them (a name may start with '-').
  const dry = await runCli(
    sandbox,
    [
      "system",
      "add",
      ..."--system-dir DIR --dry-run --activate -o json -- corp http://10.0.0.2".split(" "),
    ].map((word) => word === "DIR" ? dir : word),
  );
  assert.equal(dry.code, 1, dry.stderr);
  assert.match(
    dry.stderr,
    /^error: System gateway 'corp' is already registered in ".*" with other content\nhint: .*--replace/,
  );
  assert.equal(dry.stdout, "");

  const planned = await system(
    sandbox,
    dir,
    "add corp http://10.0.0.2 --replace --activate --dry-run -o json",
  );
  assert.equal(planned.code, 0, planned.stderr);
  const report = JSON.parse(planned.stdout);
  assert.deepEqual([report.metadata_action, report.active_action, report.dry_run], [
    "replace",
    "create",
    true,
  ]);
  assert.equal(await Deno.readTextFile(metadata), first);
  assert.equal(existsSync(join(dir, "active_gateway")), false);

  const replaced = await system(sandbox, dir, "add corp http://10.0.0.2 --replace");
  assert.equal(replaced.code, 0, replaced.stderr);
  assert.match(replaced.stderr, /^Replaced system gateway 'corp'/);
  assert.equal(JSON.parse(await Deno.readTextFile(metadata)).gateway_endpoint, "http://10.0.0.2");
  // Nothing but the files: no temp file is left beside them.
  assert.deepEqual([...Deno.readDirSync(join(dir, "gateways/corp"))].map((e) => e.name), [
    "metadata.json",
  ]);
});

Deno.test("system select makes a registered system gateway active; refusals write nothing", async () => {
  await using sandbox = await createSandbox();
  const dir = join(sandbox.root, "reg");
  assert.equal(
    (await system(sandbox, dir, "add a http://127.0.0.1:1")).code,
    0,
  );
  const missing = await system(sandbox, dir, "select b");
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: Gateway 'b' is not registered in the system registry/);
  const invalid = await system(sandbox, dir, "select ../a");
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /^error: invalid gateway name '\.\.\/a'/);
  assert.equal(existsSync(join(dir, "active_gateway")), false);
  const select = await system(sandbox, dir, "select a");
  assert.equal(select.code, 0, select.stderr);
  assert.match(select.stderr, /^Made 'a' the system's active gateway/);
  assert.equal(await Deno.readTextFile(join(dir, "active_gateway")), "a");
});

Deno.test("the system commands need an explicit system root and refuse the user registry", async () => {
  await using sandbox = await createSandbox();
  const user = join(sandbox.config, "openshell");
  await Deno.symlink(sandbox.config, join(sandbox.root, "config-link"));
  const refusals: [string[], RegExp][] = [
    [["add", "a", "http://127.0.0.1:1"], /required option '--system-dir <dir>' not specified/],
    [["select", "a"], /required option '--system-dir <dir>' not specified/],
    [["add", "a", "http://127.0.0.1:1", "--system-dir", "rel"], /must be an absolute path/],
    [["add", "a", "http://127.0.0.1:1", "--system-dir", user], /into the user registry/],
    [["add", "a", "http://127.0.0.1:1", "--system-dir", `${user}/gateways`], /user registry/],
    [
      [
        "add",
        "a",
        "http://127.0.0.1:1",
        "--system-dir",
        join(sandbox.root, "config-link/openshell"),
      ],
      /user registry/,
    ],
    [["select", "a", "--system-dir", user], /user registry/],
    [
      ["add", "a", "http://127.1", "--system-dir", "/nonexistent/reg"],
      /invalid endpoint for gateway 'a': 'http:\/\/127\.1': a numeric host/,
    ],
  ];
  for (const [args, message] of refusals) {
    const run = await runCli(sandbox, ["system", ...args]);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, message);
  }
  assert.deepEqual([...Deno.readDirSync(sandbox.config)], []);
  // The system root the program reads by default is not where `system add` writes.
  assert.equal(existsSync(sandbox.system), false);

  // `gateway add` stays the user's: it writes the user registry, never a system root.
  const added = await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:1", "--name", "mine"]);
  assert.equal(added.code, 0, added.stderr);
  assert.ok(existsSync(join(user, "gateways/mine/metadata.json")));
  assert.equal(existsSync(sandbox.system), false);
});

Deno.test("system --help says what the commands are for", async () => {
  await using sandbox = await createSandbox();
  const top = await runCli(sandbox, ["--help"]);
  assert.match(top.stdout, /^ {2}system .*Seed a system gateway registry/m);
  const help = await runCli(sandbox, ["system", "add", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Usage: openshell system add \[options\] <name> <endpoint>/);
  assert.match(help.stdout, /--system-dir <dir>/);
  assert.match(help.stdout, /metadata_action and active_action/);
});
