/**
 * One convention across the commands, through the real program: JSON and YAML keys in
 * snake_case (old served records still read), `-o yaml` wherever `-o json` is, `=true` and
 * `=false` on flags, an existing export target an ordinary error, required options marked in
 * help, and printed commands quoted for the shell.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { createSandbox, runCli } from "./_helpers/sandbox.ts";
import { servedRecordFor } from "./_helpers/served_record_fixture.ts";
import { uniqueGatewayName } from "./_helpers/serve_fixture.ts";
import { gatewayHomes } from "../src/host/mod.ts";
import { PROGRAM } from "../src/cli/_command_tree.ts";
import type { CommandSpec } from "../src/cli/_command_spec.ts";
import { programCommand, shellWord } from "../src/errors/mod.ts";

/** Every command path that has an `-o, --output` option, with its choices. */
function outputCommands(command: CommandSpec, path: string[] = []): [string[], string[]][] {
  const here = (command.options ?? []).filter((o) => o.flags.includes("--output"))
    .map((o): [string[], string[]] => [path, [...(o.choices ?? [])]]);
  return [
    ...here,
    ...(command.commands ?? []).flatMap((c) => outputCommands(c, [...path, c.name])),
  ];
}

Deno.test("every command with -o json also has -o yaml", () => {
  const found = outputCommands(PROGRAM);
  assert.ok(found.length >= 10);
  for (const [path, choices] of found) {
    if (choices.includes("json")) assert.ok(choices.includes("yaml"), path.join(" "));
  }
});

Deno.test("JSON and YAML keys are snake_case; YAML says what JSON says", async () => {
  await using sandbox = await createSandbox();
  for (const args of [["bundle", "inspect"], ["system", "add", "a", "http://127.0.0.1:1"]]) {
    const extra = args[0] === "system" ? ["--system-dir", sandbox.system, "--dry-run"] : [];
    const json = await runCli(sandbox, [...args, ...extra, "-o", "json"]);
    assert.equal(json.code, 0, json.stderr);
    const yaml = await runCli(sandbox, [...args, ...extra, "-o", "yaml"]);
    assert.equal(yaml.code, 0, yaml.stderr);
    const value = JSON.parse(json.stdout);
    assert.deepEqual(parseYaml(yaml.stdout), value, args.join(" "));
    for (const key of Object.keys(value)) assert.match(key, /^[a-z0-9_]+$/, args.join(" "));
  }
  const inspect = JSON.parse((await runCli(sandbox, ["bundle", "inspect", "-o", "json"])).stdout);
  assert.equal(typeof inspect.cache_path, "string");
  assert.equal(inspect.cachePath, undefined);
});

Deno.test("gateway info -o json shows a served record in snake_case, old records too", async () => {
  await using sandbox = await createSandbox();
  const name = uniqueGatewayName("conv");
  const add = await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:8090", "--name", name]);
  assert.equal(add.code, 0, add.stderr);
  // Where this user's running gateways are kept, whatever XDG_RUNTIME_DIR says.
  const dir = join(gatewayHomes(Deno.uid()!)[0]!, "gateways", name);
  await Deno.mkdir(dir, { recursive: true });
  const launcher = new Deno.Command("sleep", { args: ["60"] }).spawn();
  try {
    // A record as launchers wrote it before: camelCase keys.
    await Deno.writeTextFile(
      join(dir, "served.json"),
      JSON.stringify(await servedRecordFor(launcher.pid, { name })),
    );
    const info = await runCli(sandbox, ["gateway", "info", name, "-o", "json"]);
    assert.equal(info.code, 0, info.stderr);
    const served = JSON.parse(info.stdout).served;
    assert.equal(served.pid, launcher.pid);
    assert.equal(served.container_id, "openshell-dev-00000000");
    assert.equal(typeof served.pid_start, "number");
    for (const key of Object.keys(served)) assert.match(key, /^[a-z_]+$/);
  } finally {
    launcher.kill();
    await launcher.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a flag takes =true or =false; any other value says it takes no value", async () => {
  await using sandbox = await createSandbox();
  const yes = await runCli(sandbox, ["gateway", "list", "--all=true", "-o", "json"]);
  assert.equal(yes.code, 0, yes.stderr);
  assert.equal(yes.stdout.trim(), "[]");
  const no = await runCli(sandbox, ["gateway", "list", "--all=false", "-o", "json"]);
  assert.equal(no.code, 0, no.stderr);
  const bad = await runCli(sandbox, ["gateway", "list", "--all=yes"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /^error: option '--all' takes no value \(or =true, =false\); got 'yes'$/m,
  );
});

Deno.test("an export target that exists is an ordinary error; help marks required options", async () => {
  await using sandbox = await createSandbox();
  const target = join(sandbox.root, "taken");
  await Deno.writeTextFile(target, "");
  const exists = await runCli(sandbox, ["bundle", "export", "--format", "oci", target]);
  assert.equal(exists.code, 1, exists.stderr);
  assert.match(exists.stderr, /^error: ".*taken" already exists$/m);
  const help = await runCli(sandbox, ["bundle", "export", "--help"]);
  assert.match(help.stdout, /--format <format> +oci .*\n +\(required, choices/);
  const systemHelp = await runCli(sandbox, ["system", "add", "--help"]);
  assert.match(
    systemHelp.stdout,
    /--system-dir <dir> +the system registry to write \(absolute\n? *path\) \(required\)/,
  );
});

Deno.test("printed commands quote what the shell would split", async () => {
  assert.equal(programCommand("gateway", "stop", "ux s4"), "openshell gateway stop 'ux s4'");
  assert.equal(shellWord("it's"), "'it'\\''s'");
  assert.equal(shellWord("$HOME"), "'$HOME'");
  assert.equal(shellWord("dev-1.2"), "dev-1.2");
  // Through the program: a name with a space in a hint pastes as one word.
  await using sandbox = await createSandbox();
  await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:1", "--name", "ux s4"]);
  const again = await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:1", "--name", "ux s4"]);
  assert.equal(again.code, 1);
  assert.match(
    again.stderr,
    /^hint: give --replace to replace it, remove it first with `openshell gateway remove 'ux s4'`/m,
  );
});

Deno.test("gateway remove of the active gateway says which gateway is active now", async () => {
  await using sandbox = await createSandbox();
  const seed = await runCli(sandbox, [
    "system",
    "add",
    "openshell",
    "http://127.0.0.1:8080",
    "--system-dir",
    sandbox.system,
    "--activate",
  ]);
  assert.equal(seed.code, 0, seed.stderr);
  await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:9", "--name", "mine"]);
  const removed = await runCli(sandbox, ["gateway", "remove"]);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(
    removed.stderr,
    new RegExp(
      `^It was the active gateway; 'openshell' is active now: the system's default gateway \\(${sandbox.system}/active_gateway\\)$`,
      "m",
    ),
  );
  await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:9", "--name", "mine"]);
  await Deno.remove(join(sandbox.system, "active_gateway"));
  const last = await runCli(sandbox, ["gateway", "remove"]);
  assert.match(last.stderr, /^It was the active gateway; none is active now$/m);
});
