/**
 * Hostile registry files and interrupted writes, through the real program: named pipes,
 * endless and huge files, symlinked entries, control characters, deep nesting, temp files
 * left by killed writers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { STALE_TEMP_AGE_MS } from "../src/files/atomic_write.ts";
import { createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import type { CommandResult } from "./_helpers/run_command.ts";
import { metadataFor, sandboxRoots, writeActive, writeEntry } from "./registry_fixture.ts";

/** Long enough for a cold start on a busy machine; a hang runs into it. */
const HANG_LIMIT_MS = 30_000;

/** Runs the CLI in `sandbox`, failing the test (and killing the child) if it hangs. */
function runCliWithin(
  sandbox: Sandbox,
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return runCli(sandbox, args, { env, timeoutMs: HANG_LIMIT_MS });
}

function noBugReport(result: CommandResult): void {
  assert.doesNotMatch(result.stderr, /bug in openshell|Maximum call stack|\n\s+at /);
}

async function mkfifo(path: string): Promise<void> {
  await Deno.remove(path).catch(() => {});
  const made = await new Deno.Command("mkfifo", { args: [path] }).output();
  assert.equal(made.code, 0);
}

async function seeded(): Promise<Sandbox> {
  const sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, "alpha");
  await writeEntry(roots.system, "sys");
  return sandbox;
}

// --- named pipes and endless files

Deno.test("a metadata.json that is a named pipe is a warning naming it, never a hang", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, "pipe");
  const fifo = join(roots.user, "gateways/pipe/metadata.json");
  await mkfifo(fifo);
  const list = await runCliWithin(sandbox, ["gateway", "list", "-o", "json"]);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).map((r: { name: string }) => r.name), ["alpha", "sys"]);
  assert.equal(
    list.stderr,
    `warning: Cannot read metadata "${fifo}": not a regular file (a named pipe)\n`,
  );
  const info = await runCliWithin(sandbox, ["gateway", "info", "pipe"]);
  assert.equal(info.code, 1);
  assert.match(info.stderr, /^error: Cannot read metadata ".*pipe\/metadata.json": not a regular/);
  noBugReport(info);
  const select = await runCliWithin(sandbox, ["gateway", "select", "pipe"]);
  assert.equal(select.code, 1);
  const remove = await runCliWithin(sandbox, ["gateway", "remove", "pipe"]);
  assert.equal(remove.code, 0, remove.stderr);
  await assert.rejects(Deno.lstat(join(roots.user, "gateways/pipe")), Deno.errors.NotFound);
});

Deno.test("an active_gateway that is a named pipe is ignored with a warning by every command", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  const fifo = join(roots.user, "active_gateway");
  await mkfifo(fifo);
  const warning =
    `warning: ignoring active gateway file "${fifo}": not a regular file (a named pipe)`;
  const list = await runCliWithin(sandbox, ["gateway", "list"]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stderr, `${warning}\n`);
  const info = await runCliWithin(sandbox, ["gateway", "info", "alpha"]);
  assert.equal(info.code, 0, info.stderr);
  const remove = await runCliWithin(sandbox, ["gateway", "remove", "alpha"]);
  assert.equal(remove.code, 0, remove.stderr);
  const select = await runCliWithin(sandbox, ["gateway", "select", "sys"]);
  assert.equal(select.code, 0, select.stderr);
  // select replaced the pipe with an ordinary file
  assert.equal(await Deno.readTextFile(fifo), "sys");
});

Deno.test("a metadata.json linked to /dev/zero or over 1 MiB is refused before it is read", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  const zero = await writeEntry(roots.user, "zero");
  await Deno.remove(zero);
  await Deno.symlink("/dev/zero", zero);
  const huge = await writeEntry(roots.system, "huge");
  await Deno.writeTextFile(
    huge,
    JSON.stringify({ ...metadataFor("huge"), pad: "x".repeat(2 ** 21) }),
  );
  const activeZero = join(roots.system, "active_gateway");
  await Deno.symlink("/dev/zero", activeZero);
  const started = performance.now();
  const list = await runCliWithin(sandbox, ["gateway", "list", "-o", "json"]);
  assert.ok(performance.now() - started < HANG_LIMIT_MS);
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(JSON.parse(list.stdout).map((r: { name: string }) => r.name), ["alpha", "sys"]);
  const lines = list.stderr.trimEnd().split("\n");
  assert.deepEqual(lines, [
    `warning: Cannot read metadata "${huge}": ${
      (await Deno.stat(huge)).size
    } bytes, more than the 1048576 bytes a file ` +
    "of its kind can hold",
    `warning: Cannot read metadata "${zero}": not a regular file (a character device)`,
    `warning: ignoring active gateway file "${activeZero}": not a regular file ` +
    "(a character device)",
  ]);
});

Deno.test("gateway add --ca naming a named pipe fails at once and leaves nothing", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const fifo = join(sandbox.root, "ca.fifo");
  await mkfifo(fifo);
  const cert = join(sandbox.root, "tls.crt");
  const key = join(sandbox.root, "tls.key");
  await Deno.writeTextFile(cert, "cert");
  await Deno.writeTextFile(key, "key");
  const add = await runCliWithin(sandbox, [
    "gateway",
    "add",
    "https://127.0.0.1:8443",
    "--local",
    "--ca",
    fifo,
    "--cert",
    cert,
    "--key",
    key,
  ]);
  assert.equal(add.code, 1, add.stderr);
  assert.match(add.stderr, /^error: Cannot copy --ca file ".*ca\.fifo": not a regular file/);
  noBugReport(add);
  const left = await Array.fromAsync(Deno.readDir(join(roots.user, "gateways"))).catch(() => []);
  assert.deepEqual(left, []);
});

// --- symlinked entries

Deno.test("gateway remove of a symlinked entry removes the link, never the system file", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  const systemFile = join(roots.system, "gateways/sys/metadata.json");
  const before = await Deno.readTextFile(systemFile);
  await Deno.symlink(join(roots.system, "gateways/sys"), join(roots.user, "gateways/sys"));
  const remove = await runCliWithin(sandbox, ["gateway", "remove", "sys"]);
  assert.equal(remove.code, 0, remove.stderr);
  assert.match(remove.stderr, /Removed gateway 'sys'/);
  assert.equal(await Deno.readTextFile(systemFile), before);
  await assert.rejects(Deno.lstat(join(roots.user, "gateways/sys")), Deno.errors.NotFound);
  const list = await runCliWithin(sandbox, ["gateway", "list", "-o", "json"]);
  const rows = JSON.parse(list.stdout) as { name: string; source: string }[];
  assert.deepEqual(rows.map((r) => `${r.name}:${r.source}`), ["alpha:user", "sys:system"]);
});

Deno.test("add, select and remove refuse to write through a symlink under the user root", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  const outside = join(sandbox.root, "outside");
  await Deno.mkdir(outside);
  await Deno.symlink(outside, join(roots.user, "gateways/new"));
  const add = await runCliWithin(sandbox, [
    "gateway",
    "add",
    "http://127.0.0.1:9",
    "--name",
    "new",
  ]);
  assert.equal(add.code, 1, add.stderr);
  assert.match(add.stderr, /^error: Refusing to write through the symbolic link ".*gateways\/new"/);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(outside)), []);

  // The whole user gateways directory linked to the system one.
  await Deno.remove(join(roots.user, "gateways"), { recursive: true });
  await Deno.symlink(join(roots.system, "gateways"), join(roots.user, "gateways"));
  const systemFile = join(roots.system, "gateways/sys/metadata.json");
  const remove = await runCliWithin(sandbox, ["gateway", "remove", "sys"]);
  assert.equal(remove.code, 1, remove.stderr);
  assert.match(remove.stderr, /^error: Refusing to write through the symbolic link/);
  await Deno.stat(systemFile);
  const addThere = await runCliWithin(sandbox, ["gateway", "add", "http://127.0.0.1:9"]);
  assert.equal(addThere.code, 1, addThere.stderr);
  await assert.rejects(Deno.lstat(join(roots.system, "gateways/openshell")), Deno.errors.NotFound);
  noBugReport(addThere);
});

// --- control characters and floods

// deno-lint-ignore no-control-regex
const CONTROL_BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f]/;

Deno.test("control characters from registry files never reach the terminal, and quotes are capped", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const name = "evil\x1b[2J";
  await writeEntry(roots.user, name, {
    ...metadataFor(name),
    gateway_endpoint: "http://127.0.0.1:1/\x1b]0;pwned\x07",
    remote_host: "ops\r\n@host",
  });
  await writeActive(roots.user, `${"A".repeat(10 * 1024 * 1024)}\x1b[31m`);
  for (
    const args of [["gateway", "list"], ["gateway", "list", "-o", "yaml"], ["gw", "info", name]]
  ) {
    const result = await runCliWithin(sandbox, args);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, CONTROL_BUT_NEWLINE, args.join(" "));
    assert.doesNotMatch(result.stderr, CONTROL_BUT_NEWLINE, args.join(" "));
    assert.ok(result.stderr.length < 1000, `${args.join(" ")}: ${result.stderr.length} bytes`);
  }
  const select = await runCliWithin(sandbox, ["gateway", "select", name]);
  assert.equal(select.code, 0, select.stderr);
  assert.equal(select.stderr, "Active gateway: evil?[2J (user, http://127.0.0.1:1/?]0;pwned?)\n");
});

// --- deep nesting

Deno.test("metadata nested thousands deep is a malformed file, not a crash", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  for (const depth of [3_000, 10_000]) {
    const name = `deep${depth}`;
    const nested = "[".repeat(depth) + "]".repeat(depth);
    const path = await writeEntry(
      roots.user,
      name,
      JSON.stringify(metadataFor(name)).replace(/}$/, `,"extra":${nested}}`),
    );
    for (const format of ["yaml", "json", "text"]) {
      const info = await runCliWithin(sandbox, ["gateway", "info", name, "-o", format]);
      assert.equal(info.code, 1, info.stderr);
      assert.match(
        info.stderr,
        new RegExp(
          `^error: Cannot parse metadata ".*${name}/metadata.json": nested deeper than 64`,
        ),
      );
      noBugReport(info);
    }
    const list = await runCliWithin(sandbox, ["gateway", "list", "-o", "json"]);
    assert.equal(list.code, 0);
    assert.match(
      list.stderr,
      new RegExp(`warning: Cannot parse metadata "${path}": nested deeper`),
    );
  }
  // Brackets inside strings are text, not nesting.
  await writeEntry(roots.user, "brackets", metadataFor("brackets", { note: "[".repeat(500) }));
  const ok = await runCliWithin(sandbox, ["gateway", "info", "brackets", "-o", "json"]);
  assert.equal(ok.code, 0, ok.stderr);
});

// --- interrupted writes

Deno.test("temp files left by interrupted writes are removed by the next write there; young ones stay", async () => {
  await using sandbox = await seeded();
  const roots = sandboxRoots(sandbox);
  const old = new Date(Date.now() - STALE_TEMP_AGE_MS - 60_000);
  const stale = async (dir: string, name: string, directory = false) => {
    const path = join(dir, name);
    if (directory) await Deno.mkdir(path);
    else await Deno.writeTextFile(path, "partial", { mode: 0o600 });
    await Deno.utime(path, old, old);
    return path;
  };
  const uuid = () => crypto.randomUUID();
  const gatewayDir = join(roots.user, "gateways/alpha");
  const staleRoot = await stale(roots.user, `.${uuid()}.tmp`);
  const staleMeta = await stale(gatewayDir, `.metadata.json.${uuid()}.tmp`);
  const staleMtls = await stale(gatewayDir, `.mtls.${uuid()}.tmp`, true);
  const inFlight = join(roots.user, `.${uuid()}.tmp`);
  await Deno.writeTextFile(inFlight, "being written");
  const notOurs = await stale(roots.user, ".notes.tmp");

  const select = await runCliWithin(sandbox, ["gateway", "select", "alpha"]);
  assert.equal(select.code, 0, select.stderr);
  await assert.rejects(Deno.lstat(staleRoot), Deno.errors.NotFound);
  await Deno.lstat(inFlight);
  await Deno.lstat(notOurs);
  await Deno.lstat(staleMeta); // another directory: cleaned by a write there

  await Deno.remove(join(gatewayDir, "metadata.json"));
  const add = await runCliWithin(sandbox, [
    "gateway",
    "add",
    "http://127.0.0.1:7",
    "--name",
    "alpha",
  ]);
  assert.equal(add.code, 0, add.stderr);
  await assert.rejects(Deno.lstat(staleMeta), Deno.errors.NotFound);
  await assert.rejects(Deno.lstat(staleMtls), Deno.errors.NotFound);
});
