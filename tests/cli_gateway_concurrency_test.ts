import assert from "node:assert/strict";
import { join } from "node:path";
import { listGateways } from "../src/registry/mod.ts";
import { createSandbox, runCli } from "./_helpers/sandbox.ts";
import { sandboxRoots } from "./registry_fixture.ts";

Deno.test("CLI processes writing at once leave a valid registry behind", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  // Two processes race for one name, two add different names, two select at once.
  const results = await Promise.all([
    runCli(sandbox, ["gateway", "add", "http://10.0.0.1:1", "--name", "same"]),
    runCli(sandbox, ["gateway", "add", "http://10.0.0.2:2", "--name", "same"]),
    runCli(sandbox, ["gateway", "add", "http://10.0.0.3:3", "--name", "one"]),
    runCli(sandbox, ["gateway", "add", "http://10.0.0.4:4", "--name", "two"]),
  ]);
  const same = results.slice(0, 2);
  assert.deepEqual(same.map((r) => r.code).sort(), [0, 1], JSON.stringify(same));
  assert.match(same.find((r) => r.code === 1)!.stderr, /Gateway 'same' already exists\./);
  assert.equal(results[2]!.code, 0, results[2]!.stderr);
  assert.equal(results[3]!.code, 0, results[3]!.stderr);

  const selects = await Promise.all([
    runCli(sandbox, ["gateway", "select", "one"]),
    runCli(sandbox, ["gateway", "select", "two"]),
    runCli(sandbox, ["gateway", "remove", "same"]),
  ]);
  for (const result of selects) assert.equal(result.code, 0, result.stderr);

  const { entries, problems } = await listGateways(roots);
  assert.deepEqual(problems, []);
  assert.deepEqual(entries.map((e) => e.name), ["one", "two"]);
  const active = await Deno.readTextFile(join(roots.user, "active_gateway"));
  assert.ok(active === "one" || active === "two", active);
  // No temp files are left in any directory that was written.
  for (
    const dir of [roots.user, join(roots.user, "gateways/one"), join(roots.user, "gateways/two")]
  ) {
    const names = (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name);
    assert.deepEqual(names.filter((n) => n.endsWith(".tmp")), [], dir);
  }
  const json = await runCli(sandbox, ["gateway", "list", "-o", "json"]);
  assert.equal(json.code, 0);
  assert.equal((JSON.parse(json.stdout) as unknown[]).length, 2);
});
