import assert from "node:assert/strict";
import { join } from "node:path";
import { runCommand } from "./_helpers/run_command.ts";
import { cliArgv, type CliResult, createSandbox, type Sandbox } from "./_helpers/sandbox.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { asNobody } from "./_helpers/test_users.ts";
import {
  metadataFor,
  sandboxRoots,
  snapshotTree,
  writeActive,
  writeEntry,
} from "./registry_fixture.ts";

/** Permission bits do not stop root, so as root these tests run the CLI as nobody. */
async function runAsUser(sandbox: Sandbox, args: string[]): Promise<CliResult> {
  const argv = Deno.uid() === 0 ? asNobody(sharedCliArgv(args)) : cliArgv(args);
  return await runCommand(argv, { env: sandbox.env, cwd: sandbox.root });
}

/** A sandbox whose registry directories the unprivileged user may write. */
async function openSandbox(): Promise<Sandbox> {
  const sandbox = await createSandbox({ mode: 0o777 });
  const roots = sandboxRoots(sandbox);
  for (const dir of [join(roots.user, "gateways"), join(roots.system, "gateways")]) {
    await Deno.mkdir(dir, { recursive: true });
  }
  await Deno.chmod(roots.user, 0o777);
  await Deno.chmod(join(roots.user, "gateways"), 0o777);
  return sandbox;
}

Deno.test("unreadable files and directories: clear errors or warnings, nothing lost", async (t) => {
  await using sandbox = await openSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.system, "corp");
  await writeEntry(roots.system, "other");
  await writeActive(roots.system, "other");
  const userCorp = await writeEntry(roots.user, "corp", metadataFor("corp", { gateway_port: 7 }));

  await t.step("an unreadable user metadata file still hides the system entry", async () => {
    await Deno.chmod(userCorp, 0o000);
    const result = await runAsUser(sandbox, ["gateway", "list", "-o", "json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as { name: string }[]).map((r) => r.name), [
      "other",
    ]);
    assert.equal(
      result.stderr,
      `warning: Cannot read metadata "${userCorp}": permission denied\n`,
    );
    const info = await runAsUser(sandbox, ["gateway", "info", "corp"]);
    assert.equal(info.code, 1);
    assert.match(info.stderr, /^error: Cannot read metadata ".*": permission denied\n/);
    await Deno.chmod(userCorp, 0o644);
  });

  await t.step("an unreadable user gateway directory hides the system entry too", async () => {
    const dir = join(roots.user, "gateways/corp");
    await Deno.chmod(dir, 0o000);
    const result = await runAsUser(sandbox, ["gateway", "list", "-o", "json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as { name: string }[]).map((r) => r.name), [
      "other",
    ]);
    assert.match(result.stderr, /permission denied/);
    await Deno.chmod(dir, 0o755);
  });

  await t.step("an unreadable user active file falls back to the system one, warned", async () => {
    const active = await writeActive(roots.user, "corp");
    await Deno.chmod(active, 0o000);
    const result = await runAsUser(sandbox, ["gateway", "info", "-o", "json"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).name, "other");
    assert.equal(JSON.parse(result.stdout).active_reason, "system");
    assert.match(
      result.stderr,
      /^warning: ignoring active gateway file ".*": permission denied\n$/,
    );
    await Deno.remove(active);
  });

  await t.step("an unreadable gateways directory fails the listing with its path", async () => {
    const dir = join(roots.system, "gateways");
    await Deno.chmod(dir, 0o000);
    const result = await runAsUser(sandbox, ["gateway", "list"]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(
      result.stderr,
      new RegExp(`^error: Cannot read gateway directory "${dir}": permission denied\\n`),
    );
    await Deno.chmod(dir, 0o755);
  });

  await t.step("an unwritable user registry: add and select fail, nothing changes", async () => {
    await Deno.chmod(join(roots.user, "gateways"), 0o555);
    await Deno.chmod(roots.user, 0o555);
    const before = await snapshotTree(sandbox.root);
    const add = await runAsUser(sandbox, ["gateway", "add", "http://10.0.0.1", "--name", "new"]);
    assert.equal(add.code, 1);
    assert.match(
      add.stderr,
      /^error: Cannot create directory ".*gateways\/new": permission denied/,
    );
    const select = await runAsUser(sandbox, ["gateway", "select", "other"]);
    assert.equal(select.code, 1);
    assert.match(select.stderr, /^error: Cannot write ".*active_gateway": permission denied/);
    assert.deepEqual(await snapshotTree(sandbox.root), before);
  });
});
