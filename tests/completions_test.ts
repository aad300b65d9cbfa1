import assert from "node:assert/strict";
import { join } from "node:path";
import { completionModel } from "../src/cli/_completion_model.ts";
import { completionScript } from "../src/cli/_completion_scripts.ts";
import { withAllFacts } from "../src/cli/_command_spec.ts";
import { PROGRAM } from "../src/cli/_command_tree.ts";
import { onPath, runCommand } from "./_helpers/run_command.ts";
import { cliArgv, createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { openTmux, tmuxAvailable } from "./_helpers/tmux.ts";

const model = async () => completionModel(await withAllFacts(PROGRAM));

Deno.test("the completion model follows the command tree", async () => {
  const commands = await model();
  const gateway = commands.find((c) => c.path === "gateway")!;
  const words = gateway.subcommands.map((s) => s.word);
  for (const word of ["list", "ls", "select", "stop", "logs", "info", "rm"]) {
    assert.ok(words.includes(word), word);
  }
  assert.equal(gateway.subcommands.find((s) => s.word === "ls")!.path, "gateway list");
  const stop = commands.find((c) => c.path === "gateway stop")!;
  assert.deepEqual(stop.args, [{ kind: "gateway" }]);
  const root = commands.find((c) => c.path === "")!;
  assert.deepEqual(root.options.find((o) => o.flags.includes("--gateway"))!.value, {
    kind: "gateway",
  });
  const add = commands.find((c) => c.path === "gateway add")!;
  assert.deepEqual(add.options.find((o) => o.flags.includes("--ca"))!.value, { kind: "file" });
  assert.deepEqual(add.options.find((o) => o.flags.includes("--name"))!.value, { kind: "none" });
  const list = commands.find((c) => c.path === "gateway list")!;
  assert.deepEqual(list.options.find((o) => o.flags.includes("-o"))!.value, {
    kind: "choices",
    words: ["table", "json", "yaml"],
  });
  assert.deepEqual(commands.find((c) => c.path === "completions")!.args, [
    { kind: "choices", words: ["bash", "zsh", "fish"] },
  ]);
});

Deno.test("a command or option added to the tree completes without further work", () => {
  const program = {
    ...PROGRAM,
    commands: [...PROGRAM.commands!, {
      name: "frobnicate",
      description: "",
      options: [{ flags: "--widget <file>", description: "a widget" }],
      args: [{ name: "[name]" }],
    }],
  };
  const commands = completionModel(program);
  for (const shell of ["bash", "zsh", "fish"] as const) {
    const script = completionScript(shell, commands, "openshell");
    assert.match(script, /frobnicate/, shell);
    assert.match(script, /widget/, shell);
  }
  assert.match(
    completionScript("bash", commands, "openshell"),
    /\['frobnicate\|--widget'\]='file'/,
  );
});

/** A sandbox with `openshell` on PATH (running the CLI from source) and two gateways. */
async function completionSandbox(): Promise<Sandbox & { path: string }> {
  const sandbox = await createSandbox();
  const bin = join(sandbox.root, "bin");
  await Deno.mkdir(bin);
  const argv = cliArgv([]).map((a) => `'${a}'`).join(" ");
  await Deno.writeTextFile(join(bin, "openshell"), `#!/bin/sh\nexec ${argv} "$@"\n`, {
    mode: 0o755,
  });
  for (const name of ["alpha", "beta"]) {
    const added = await runCli(sandbox, ["gateway", "add", "http://127.0.0.1:9", "--name", name]);
    assert.equal(added.code, 0, added.stderr);
  }
  const path = `${bin}:${sandbox.env.PATH}`;
  sandbox.env.PATH = path;
  return Object.assign(sandbox, { path });
}

Deno.test("bash completes subcommands, gateway names, choices and files through the real function", async () => {
  await using sandbox = await completionSandbox();
  const script = join(sandbox.root, "openshell.bash");
  const printed = await runCli(sandbox, ["completions", "bash"]);
  assert.equal(printed.code, 0, printed.stderr);
  await Deno.writeTextFile(script, printed.stdout);
  const cases: [string, string][] = [
    ["gateway s", "select stop"],
    ["gateway stop ", "alpha beta"],
    ["gateway stop a", "alpha"],
    ["gw logs -n 5 b", "beta"],
    ["-g ", "alpha beta"],
    ["-g alpha gateway in", "info"],
    ["gateway list -o ", "table json yaml"],
    ["serve --runtime ", "youki runc crun"],
    ["completions ", "bash zsh fish"],
    ["doctor ", "check"],
    ["gateway stop -", "-h --help -g --gateway --gateway-endpoint --gateway-insecure"],
    ["gateway add ", ""],
    ["serve --state-dir bi", "bin"],
  ];
  const lines = cases.map(([line]) =>
    `read -ra COMP_WORDS <<< 'openshell ${line}'; ` +
    `[[ '${line}' == *' ' ]] && COMP_WORDS+=(''); ` +
    "COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _openshell; " +
    `printf '%s\\n' "\${COMPREPLY[*]}"`
  );
  const result = await runCommand(
    ["bash", "--norc", "--noprofile", "-c", `source '${script}'\n${lines.join("\n")}`],
    { env: sandbox.env, cwd: sandbox.root },
  );
  assert.equal(result.stderr, "");
  assert.deepEqual(result.stdout.split("\n").slice(0, -1), cases.map(([, want]) => want));
  assert.equal(
    (await runCommand(["shellcheck", "-s", "bash", script], { env: sandbox.env })).stdout,
    "",
  );
});

Deno.test({
  name: "bash in a real terminal: TAB completes `openshell gateway s` and a gateway name",
  ignore: !tmuxAvailable(),
  async fn() {
    await using sandbox = await completionSandbox();
    await using term = await openTmux({ env: sandbox.env, cwd: sandbox.root });
    await term.send(["exec bash --norc --noprofile", "Enter"], {});
    await term.send(["source <(openshell completions bash) && echo completion-loaded", "Enter"]);
    await term.waitFor((s) => /^completion-loaded$/m.test(s), "the script loaded", 20_000);
    await term.send(["openshell gateway s", "Tab", "Tab"]);
    await term.waitFor((s) => /select\s+stop/.test(s), "the two subcommands listed", 20_000);
    await term.send(["t", "Tab", "a", "Tab"]);
    await term.waitFor(
      (s) => s.split("\n").some((l) => l.endsWith("$ openshell gateway stop alpha")),
      "the gateway name completed",
      20_000,
    );
  },
});

Deno.test({
  name: "zsh in a real terminal completes through bashcompinit",
  ignore: !tmuxAvailable() || !(await onPath("zsh")),
  async fn() {
    await using sandbox = await completionSandbox();
    await using term = await openTmux({ env: sandbox.env, cwd: sandbox.root });
    await term.send(["exec zsh -f", "Enter"]);
    await term.send(["source <(openshell completions zsh) && echo completion-loaded", "Enter"]);
    await term.waitFor((s) => /^completion-loaded$/m.test(s), "the script loaded", 20_000);
    await term.send(["openshell gateway st", "Tab"]);
    await term.waitFor((s) => /\$ openshell gateway stop$/m.test(s), "the subcommand", 20_000);
    await term.send(["a", "Tab"]);
    await term.waitFor((s) => s.includes("openshell gateway stop alpha"), "the name", 20_000);
  },
});

Deno.test({
  name: "fish completes from the generated script (complete -C)",
  ignore: !(await onPath("fish")),
  async fn() {
    await using sandbox = await completionSandbox();
    const script = join(sandbox.root, "openshell.fish");
    await Deno.writeTextFile(script, (await runCli(sandbox, ["completions", "fish"])).stdout);
    const ask = async (line: string) => {
      const result = await runCommand(
        ["fish", "--no-config", "-c", `source '${script}'; complete -C'${line}'`],
        { env: { ...sandbox.env, HOME: sandbox.home }, cwd: sandbox.root },
      );
      assert.equal(result.stderr, "", line);
      return result.stdout.split("\n").filter((l) => l !== "").map((l) => l.split("\t")[0]);
    };
    assert.deepEqual(await ask("openshell gateway s"), ["select", "stop"]);
    assert.deepEqual(await ask("openshell gateway stop "), ["alpha", "beta"]);
    assert.deepEqual(await ask("openshell gateway list -o "), ["json", "table", "yaml"]);
    assert.ok((await ask("openshell -")).includes("--version"));
    assert.ok(!(await ask("openshell gateway list -")).includes("--version"));
  },
});
