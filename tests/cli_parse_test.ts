/**
 * The argument parser, the help text and the command tree, in-process: every form of option
 * and argument, every usage error's exact message, help and version wherever they appear,
 * facts loaded only for the commands on the path. The real CLI is run in cli_*_test.ts.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  argumentShape,
  type CommandSpec,
  optionShape,
  withAllFacts,
  withPathFacts,
} from "../src/cli/_command_spec.ts";
import { InvalidValue } from "../src/cli/_command_spec.ts";
import { PROGRAM } from "../src/cli/_command_tree.ts";
import { helpText } from "../src/cli/_help_text.ts";
import { parseArgs, type ParseOutcome, suggestSimilar } from "../src/cli/_parse_args.ts";
import { ACTIVE_GATEWAY_VARIABLE } from "../src/registry/mod.ts";

const noEnv = () => undefined;

/** A small tree with every kind of option and argument. */
const TREE: CommandSpec = {
  name: "prog",
  description: "A test program",
  options: [
    { flags: "-V, --version", description: "print the version", version: true },
    { flags: "-g, --gateway <name>", description: "pick one", env: "PROG_GATEWAY" },
    { flags: "--insecure", description: "skip checks", env: "PROG_INSECURE" },
  ],
  commands: [
    {
      name: "group",
      aliases: ["gr"],
      description: "A group",
      commands: [
        {
          name: "leaf",
          aliases: ["lf"],
          description: "A leaf",
          args: [{ name: "[name]", description: "a name" }],
          options: [
            {
              flags: "-o, --output <format>",
              description: "format",
              choices: ["text", "json"],
              default: "text",
            },
            { flags: "-f, --follow", description: "follow" },
            { flags: "-n, --lines <count>", description: "lines" },
            { flags: "--show-origin", description: "origin" },
          ],
          run: () => Promise.resolve(),
        },
        {
          name: "many",
          description: "Variadic",
          args: [{ name: "<first>", description: "first" }, { name: "[rest...]" }],
          run: () => Promise.resolve(),
        },
      ],
    },
    {
      name: "add",
      description: "Add",
      args: [{ name: "<endpoint>", description: "where", choices: ["a", "b"] }],
      options: [
        { flags: "--local", description: "local", conflicts: ["remote"] },
        { flags: "--remote <host>", description: "remote", conflicts: ["local"] },
        { flags: "--no-activate", description: "do not activate" },
        { flags: "--format <f>", description: "format", mandatory: true },
        {
          flags: "--timeout <ms>",
          description: "timeout",
          default: 5,
          parse: (text) => {
            if (!/^\d+$/.test(text)) throw new InvalidValue("expected a number");
            return Number(text);
          },
        },
      ],
      run: () => Promise.resolve(),
    },
    {
      name: "both",
      description: "Runs, and has a subcommand",
      options: [{ flags: "-l, --listen <addr>", description: "address", default: "x:1" }],
      commands: [{
        name: "sub",
        description: "Sub",
        options: [{ flags: "-l, --listen <addr>", description: "address", default: "x:1" }],
        run: () => Promise.resolve(),
      }],
      run: () => Promise.resolve(),
    },
  ],
};

/** An outcome as one comparable value: the command path and what it carries. */
function read(args: string[], env: (name: string) => string | undefined = noEnv, tree = TREE) {
  return summary(parseArgs(tree, args, env));
}

function summary(outcome: ParseOutcome) {
  const path = outcome.path.map((c) => c.name).join(" ");
  switch (outcome.kind) {
    case "run":
      return { run: path, args: outcome.input.args, options: outcome.input.options };
    case "help":
      return { help: path, asked: outcome.asked };
    case "version":
      return { version: path };
    case "error":
      return { error: outcome.message };
  }
}

const leafDefaults = { output: "text" };

Deno.test("options: long, short, =, attached and grouped forms all read the same", () => {
  const forms = [
    ["-o", "json"],
    ["-o=json"],
    ["-ojson"],
    ["--output", "json"],
    ["--output=json"],
  ];
  for (const form of forms) {
    for (const where of ["before", "after"] as const) {
      const args = where === "before"
        ? ["group", "leaf", ...form, "x"]
        : ["group", "leaf", "x", ...form];
      assert.deepEqual(read(args), {
        run: "prog group leaf",
        args: { name: "x" },
        options: { output: "json" },
      }, args.join(" "));
    }
  }
  assert.deepEqual(read(["gr", "lf", "-fn5"]).options, {
    ...leafDefaults,
    follow: true,
    lines: "5",
  });
  assert.deepEqual(read(["gr", "lf", "-f", "-n", "-5"]).options, {
    ...leafDefaults,
    follow: true,
    lines: "-5",
  });
  assert.deepEqual(read(["gr", "lf", "--show-origin"]).options, {
    ...leafDefaults,
    showOrigin: true,
  });
  // The last of a repeated option wins; `--` ends the options.
  assert.deepEqual(read(["gr", "lf", "-o", "json", "-o", "text"]).options, leafDefaults);
  assert.deepEqual(read(["gr", "lf", "--", "-o"]), {
    run: "prog group leaf",
    args: { name: "-o" },
    options: leafDefaults,
  });
  // A value that looks like an option is still the value of an option that takes one.
  assert.deepEqual(read(["gr", "lf", "-n", "--help"]).options, {
    ...leafDefaults,
    lines: "--help",
  });
  // A negative number is an argument of a leaf command.
  assert.deepEqual(read(["gr", "lf", "-5"]).args, { name: "-5" });
});

Deno.test("a flag without value takes =true and =false, and refuses any other value", () => {
  assert.deepEqual(read(["gr", "lf", "--follow=true"]).options, { ...leafDefaults, follow: true });
  assert.deepEqual(read(["gr", "lf", "--follow=false"]).options, {
    ...leafDefaults,
    follow: false,
  });
  const negated = (text: string) =>
    read(["add", "a", "--format", "x", `--no-activate=${text}`]).options?.activate;
  assert.equal(negated("true"), false);
  assert.equal(negated("false"), true);
  assert.deepEqual(read(["gr", "lf", "--follow=yes"]), {
    error: "error: option '--follow' takes no value (or =true, =false); got 'yes'",
  });
});

Deno.test("the program's options are read anywhere before --, and at the program only", () => {
  const picked = (args: string[]) => {
    const outcome = parseArgs(TREE, args, noEnv);
    assert.equal(outcome.kind, "run", args.join(" "));
    return outcome.kind === "run" ? outcome.input.levels[0]!.values.gateway : undefined;
  };
  for (
    const args of [
      ["-g", "x", "group", "leaf"],
      ["-g=x", "group", "leaf"],
      ["-gx", "group", "leaf"],
      ["--gateway", "x", "group", "leaf"],
      ["--gateway=x", "group", "leaf"],
      ["group", "-g", "x", "leaf"],
      ["group", "leaf", "-g", "x"],
      ["group", "leaf", "-o", "json", "-g", "x"],
      ["group", "leaf", "-g", "y", "-g", "x"],
    ]
  ) assert.equal(picked(args), "x", args.join(" "));
  assert.deepEqual(read(["group", "leaf", "--", "-g", "x"]), {
    error: "error: too many arguments for 'leaf'. Expected 1 argument but got 2: -g, x.",
  });
});

Deno.test("an option's environment variable stands in for it, and is kept beside the flag", () => {
  const levels = (args: string[], value: string | undefined) => {
    const outcome = parseArgs(TREE, args, (name) => name === "PROG_GATEWAY" ? value : undefined);
    assert.equal(outcome.kind, "run");
    return outcome.kind === "run" ? outcome.input.levels[0]! : undefined;
  };
  assert.deepEqual(levels(["gr", "lf"], "env"), {
    values: { gateway: "env" },
    sources: { gateway: "env" },
    env: { gateway: "env" },
  });
  assert.deepEqual(levels(["-g", "flag", "gr", "lf"], "env"), {
    values: { gateway: "flag" },
    sources: { gateway: "cli" },
    env: { gateway: "env" },
  });
  assert.deepEqual(levels(["gr", "lf"], ""), {
    values: { gateway: "" },
    sources: { gateway: "env" },
    env: { gateway: "" },
  });
  assert.deepEqual(levels(["gr", "lf"], undefined), { values: {}, sources: {}, env: {} });
  // The program's declaration names the registry's variable.
  const gateway = PROGRAM.options!.find((o) => o.flags.includes("--gateway"))!;
  assert.equal(gateway.env, ACTIVE_GATEWAY_VARIABLE);
});

Deno.test("a flag's variable says true or false and nothing else; the flag wins", () => {
  const insecure = (args: string[], value: string | undefined) => {
    const outcome = parseArgs(TREE, args, (name) => name === "PROG_INSECURE" ? value : undefined);
    if (outcome.kind === "error") return outcome.message;
    assert.equal(outcome.kind, "run");
    const program = outcome.kind === "run" ? outcome.input.levels[0]! : undefined;
    return [program?.values.insecure, program?.sources.insecure];
  };
  assert.deepEqual(insecure(["gr", "lf"], undefined), [undefined, undefined]);
  assert.deepEqual(insecure(["gr", "lf"], "true"), [true, "env"]);
  assert.deepEqual(insecure(["gr", "lf"], "false"), [false, "env"]);
  assert.deepEqual(insecure(["--insecure", "gr", "lf"], "false"), [true, "cli"]);
  assert.deepEqual(insecure(["gr", "lf", "--insecure"], undefined), [true, "cli"]);
  // A value the flag's variable cannot hold is refused whatever the command, as upstream does.
  for (const value of ["", "1", "0", "TRUE", "yes", "no", "on", "off"]) {
    assert.equal(
      insecure(["gr", "lf"], value),
      `error: option '--insecure' value '${value}' from env 'PROG_INSECURE' is invalid. ` +
        "Allowed choices are true, false.",
      value,
    );
    assert.deepEqual(insecure(["--insecure", "gr", "lf"], value), [true, "cli"], value);
  }
});

Deno.test("arguments: required, optional, variadic and choices", () => {
  assert.deepEqual(read(["gr", "many", "a"]).args, { first: "a", rest: [] });
  assert.deepEqual(read(["gr", "many", "a", "b", "c"]).args, { first: "a", rest: ["b", "c"] });
  assert.deepEqual(read(["gr", "lf"]).args, { name: undefined });
  assert.deepEqual(read(["gr", "many"]), { error: "error: missing required argument 'first'" });
  assert.deepEqual(read(["add", "c", "--format", "x"]), {
    error:
      "error: command-argument value 'c' is invalid for argument 'endpoint'. Allowed choices are a, b.",
  });
  assert.deepEqual(read(["gr", "lf", "a", "b"]), {
    error: "error: too many arguments for 'leaf'. Expected 1 argument but got 2: a, b.",
  });
});

Deno.test("option values: choices, parsing, defaults, negation, conflicts, mandatory", () => {
  assert.deepEqual(read(["add", "a", "--format", "x"]).options, {
    activate: true,
    format: "x",
    timeout: 5,
  });
  assert.deepEqual(read(["add", "a", "--format", "x", "--no-activate", "--timeout=7"]).options, {
    activate: false,
    format: "x",
    timeout: 7,
  });
  const errors: [string[], string][] = [
    [
      ["gr", "lf", "-o", "xml"],
      "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are text, json.",
    ],
    [
      ["add", "a", "--format", "x", "--timeout", "soon"],
      "error: option '--timeout <ms>' argument 'soon' is invalid. expected a number",
    ],
    [["gr", "lf", "-o"], "error: option '-o, --output <format>' argument missing"],
    [["add", "a"], "error: required option '--format <f>' not specified"],
    [
      ["add", "a", "--format", "x", "--local", "--remote", "h"],
      "error: option '--local' cannot be used with option '--remote <host>'",
    ],
    [
      ["add", "a", "--format", "x", "--remote", "h", "--local"],
      "error: option '--local' cannot be used with option '--remote <host>'",
    ],
    [["-g"], "error: option '-g, --gateway <name>' argument missing"],
  ];
  for (const [args, message] of errors) {
    assert.deepEqual(read(args), { error: message }, args.join(" "));
  }
});

Deno.test("unknown commands and options: the nearest spelling is suggested", () => {
  const errors: [string[], string][] = [
    [["nope"], "error: unknown command 'nope'"],
    [["grop"], "error: unknown command 'grop'\n(Did you mean group?)"],
    [["group", "lef"], "error: unknown command 'lef'\n(Did you mean one of leaf, lf?)"],
    [["--bogus"], "error: unknown option '--bogus'"],
    [["-x"], "error: unknown option '-x'"],
    [["gr", "lf", "--outpt", "json"], "error: unknown option '--outpt'\n(Did you mean --output?)"],
    [["gr", "lf", "--gatway", "x"], "error: unknown option '--gatway'\n(Did you mean --gateway?)"],
    [
      ["gr", "lf", "--show-orign=1"],
      "error: unknown option '--show-orign=1'\n(Did you mean --show-origin?)",
    ],
    [
      ["add", "a", "--format", "x", "--activate"],
      "error: unknown option '--activate'\n(Did you mean --no-activate?)",
    ],
    [["both", "x"], "error: too many arguments for 'both'. Expected 0 arguments but got 1: x."],
  ];
  for (const [args, message] of errors) {
    assert.deepEqual(read(args), { error: message }, args.join(" "));
  }
  assert.equal(suggestSimilar("gatway", ["gateway", "status", "gw"]), "\n(Did you mean gateway?)");
  assert.equal(suggestSimilar("x", ["gateway"]), "");
  assert.equal(suggestSimilar("--al", ["--all", "--a"]), "\n(Did you mean --all?)");
});

Deno.test("help: -h/--help at any level wins over other mistakes; a group alone shows its help", () => {
  const cases: [string[], { help: string; asked: boolean }][] = [
    [["--help"], { help: "prog", asked: true }],
    [["-h", "group"], { help: "prog", asked: true }],
    [["group", "--help"], { help: "prog group", asked: true }],
    [["group", "-h", "leaf"], { help: "prog group", asked: true }],
    [["gr", "lf", "--help"], { help: "prog group leaf", asked: true }],
    [["gr", "lf", "--bogus", "-h"], { help: "prog group leaf", asked: true }],
    [["add", "--help"], { help: "prog add", asked: true }],
    [["help"], { help: "prog", asked: true }],
    [["help", "group"], { help: "prog group", asked: true }],
    [["help", "gr"], { help: "prog group", asked: true }],
    [["group", "help", "leaf"], { help: "prog group leaf", asked: true }],
    [["help", "nope"], { help: "prog", asked: false }],
    [[], { help: "prog", asked: false }],
    [["group"], { help: "prog group", asked: false }],
    [["-g", "x"], { help: "prog", asked: false }],
  ];
  for (const [args, want] of cases) assert.deepEqual(read(args), want, args.join(" "));
  // A bad option value is reported as it is read, before help is looked for.
  assert.deepEqual(read(["gr", "lf", "-o", "xml", "--help"]), {
    error:
      "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are text, json.",
  });
  // A command that runs has no help subcommand: `help` is an argument there.
  assert.deepEqual(read(["both", "help"]), {
    error: "error: too many arguments for 'both'. Expected 0 arguments but got 1: help.",
  });
  assert.equal(read(["both", "sub"]).run, "prog both sub");
  assert.equal(read(["both"]).run, "prog both");
});

Deno.test("--version: wherever the program reads it, before anything after it", () => {
  for (
    const args of [
      ["--version"],
      ["-V"],
      ["-V", "-o", "yaml"],
      ["group", "leaf", "-o", "json", "--version"],
      ["-V", "nope"],
      ["-g", "x", "-V"],
    ]
  ) assert.deepEqual(read(args), { version: "prog" }, args.join(" "));
  assert.deepEqual(read(["gr", "lf", "--", "-V"]).args, { name: "-V" });
  assert.deepEqual(read(["--bogus", "-V"]), { version: "prog" });
  assert.deepEqual(read(["-x", "--help"]), { help: "prog", asked: true });
});

Deno.test("no token list makes the parser throw, and what runs holds only declared values", () => {
  const tokens = [
    "group",
    "gr",
    "leaf",
    "many",
    "add",
    "help",
    "a",
    "-o",
    "json",
    "xml",
    "-f",
    "-n",
    "-g",
    "--",
    "--help",
    "-V",
    "--bogus",
    "-ojson",
    "--output=yaml",
    "",
    "-",
  ];
  let runs = 0;
  const check = (args: string[]) => {
    const outcome = parseArgs(TREE, args, noEnv);
    if (outcome.kind !== "run") return;
    runs++;
    const output = outcome.input.options.output;
    if (output !== undefined) {
      assert.ok(["text", "json"].includes(output as string), args.join(" "));
    }
    assert.ok(outcome.input.command.run !== undefined, args.join(" "));
  };
  for (const a of tokens) {
    for (const b of tokens) {
      for (const c of tokens) {
        check([a, b, c]);
        for (const d of tokens) check([a, b, c, d]);
      }
    }
  }
  assert.ok(runs > 500, `only ${runs} runs`);
});

Deno.test("help text: usage, wrapped columns, choices and defaults, closing text", () => {
  const gateway = PROGRAM.commands!.find((c) => c.name === "gateway")!;
  assert.equal(
    helpText([PROGRAM, gateway], 80),
    `Usage: openshell gateway|gw [options] [command]

Manage gateway registrations (user registry over the system registry)

Options:
  -h, --help                display help for command

Commands:
  list|ls [options]         List gateways from the user and system registries
  add [options] <endpoint>  Register a gateway in the user registry and make it
                            active
  select [name]             Make a gateway the user's active gateway
  remove|rm [names...]      Remove gateways from the user registry (system
                            entries stay)
  rename <old> <new>        Rename a user gateway, with its per-user files
                            (system entries stay)
  info [options] [name]     Show a gateway's registration: source, file, what it
                            hides, whether active
  stop [name]               Stop a gateway served on this machine (detached or
                            in another terminal)
  logs [options] [name]     Print the log of a gateway served with \`serve
                            --detach\`
  help [command]            display help for command
`,
  );
  const status = PROGRAM.commands!.find((c) => c.name === "status")!;
  assert.equal(
    helpText([PROGRAM, status], 80),
    `Usage: openshell status [options]

Show the active gateway and whether it answers

Options:
  -o, --output <format>  output format (choices: "text", "table", "json",
                         "yaml", default: "text")
  --timeout <ms>         how long to wait for the gateway (default: 2000)
  -h, --help             display help for command
`,
  );
  const add = TREE.commands!.find((c) => c.name === "add")!;
  const wide = helpText([TREE, add], 200);
  assert.match(wide, /^Usage: prog add \[options\] <endpoint>\n\nAdd\n\nArguments:\n {2}endpoint /);
  assert.match(wide, /where \(choices: "a", "b"\)/);
  assert.match(wide, /--timeout <ms> +timeout \(default: 5\)\n/);
  assert.doesNotMatch(wide, /activate \(default/);
  // Narrow terminals: descriptions are not wrapped below 40 columns of room.
  assert.equal(
    helpText([TREE, add], 20).split("\n").filter((l) => l.includes("(default: 5)")).length,
    1,
  );
  // With under 40 columns left for descriptions they are not wrapped at all.
  assert.ok(helpText([PROGRAM, gateway], 60).includes("make it active\n"));
  for (const width of [80, 120]) {
    for (const line of helpText([PROGRAM, gateway], width).split("\n")) {
      assert.ok(line.length <= width, `${width}: ${line}`);
    }
  }
});

Deno.test("every command of the real tree: help names all its options and subcommands", async () => {
  const program = await withAllFacts(PROGRAM);
  const walk = (path: CommandSpec[]) => {
    const command = path.at(-1)!;
    const text = helpText(path, 80);
    const names = path.map((c, i) =>
      i === path.length - 1 && c.aliases?.[0] ? `${c.name}|${c.aliases[0]}` : c.name
    );
    assert.ok(text.startsWith(`Usage: ${names.join(" ")} [options]`), names.join(" "));
    for (const option of command.options ?? []) {
      assert.ok(text.includes(option.flags), `${names.join(" ")}: ${option.flags}`);
    }
    for (const sub of command.commands ?? []) {
      assert.ok(text.includes(`\n  ${sub.name}`), `${names.join(" ")}: ${sub.name}`);
      walk([...path, sub]);
    }
    if (command.helpAfter) assert.ok(text.endsWith(`${command.helpAfter}\n`));
    // Each command parses to itself, by name and by alias.
    const words = path.slice(1).map((c) => c.name);
    const outcome = parseArgs(program, [...words, "--help"], noEnv);
    assert.deepEqual(summary(outcome), { help: path.map((c) => c.name).join(" "), asked: true });
  };
  walk([program]);
  assert.equal(read(["gw", "ls", "-o=json"], noEnv, program).run, "openshell gateway list");
  assert.equal(read(["gw", "rm", "a", "b"], noEnv, program).run, "openshell gateway remove");
});

Deno.test("facts are loaded only for the commands on the path", async () => {
  let loaded = 0;
  const facts = () => {
    loaded++;
    return Promise.resolve({ listen: { default: "y:2", choices: ["y:2", "z:3"] } });
  };
  const tree: CommandSpec = {
    ...TREE,
    commands: TREE.commands!.map((c) =>
      c.name === "both" ? { ...c, facts, commands: c.commands!.map((s) => ({ ...s, facts })) } : c
    ),
  };
  assert.equal(await withPathFacts(tree, parseArgs(tree, ["gr", "lf"], noEnv).path), tree);
  assert.equal(loaded, 0);
  const first = parseArgs(tree, ["both", "sub", "-l", "z:3"], noEnv);
  const resolved = await withPathFacts(tree, first.path);
  assert.equal(loaded, 2);
  assert.deepEqual(read(["both", "sub"], noEnv, resolved).options, { listen: "y:2" });
  assert.deepEqual(read(["both", "sub", "-l", "q"], noEnv, resolved), {
    error:
      "error: option '-l, --listen <addr>' argument 'q' is invalid. Allowed choices are y:2, z:3.",
  });
  assert.match(helpText(parseArgs(resolved, ["both", "-h"], noEnv).path, 80), /default: "y:2"/);
  await withAllFacts(tree);
  assert.equal(loaded, 4);
});

Deno.test("flags and argument names split into their parts", () => {
  assert.deepEqual(optionShape("-o, --output <format>"), {
    short: "-o",
    long: "--output",
    value: "<format>",
    negate: false,
    key: "output",
  });
  assert.deepEqual(optionShape("--no-activate"), {
    short: undefined,
    long: "--no-activate",
    value: undefined,
    negate: true,
    key: "activate",
  });
  assert.equal(optionShape("--runtime-path <path>").key, "runtimePath");
  assert.equal(optionShape("--remote <[user@]host>").value, "<[user@]host>");
  assert.deepEqual(argumentShape("<endpoint>"), {
    name: "endpoint",
    required: true,
    variadic: false,
  });
  assert.deepEqual(argumentShape("[names...]"), { name: "names", required: false, variadic: true });
});

/** The modules `entry` loads before running anything: its static imports, transitively. */
async function staticClosure(entry: string): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(entry, import.meta.url).pathname],
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
    redirects: Record<string, string>;
  };
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const visit = (specifier: string) => {
    const resolved = graph.redirects[specifier] ?? specifier;
    if (seen.has(resolved)) return;
    seen.add(resolved);
    for (const dep of modules.get(resolved)?.dependencies ?? []) {
      if (dep.code && !dep.isDynamic) visit(dep.code.specifier);
    }
  };
  visit(new URL(entry, import.meta.url).href);
  return [...seen];
}

Deno.test("parsing, help and version, and the hot commands' own code, load no package and no node: module", async () => {
  for (
    const entry of [
      "../src/main.ts",
      "../src/cli/mod.ts",
      "../src/cli/_gateway_list.ts",
      "../src/cli/_status_command.ts",
      "../src/cli/_serve_command.ts",
    ]
  ) {
    const loaded = await staticClosure(entry);
    assert.ok(loaded.length > 1 || entry === "../src/main.ts", entry);
    assert.deepEqual(loaded.filter((s) => !s.startsWith("file:")), [], entry);
  }
  const parsing = await staticClosure("../src/cli/mod.ts");
  for (const action of ["_gateway_list.ts", "_status_command.ts", "_serve_command.ts"]) {
    assert.ok(
      !parsing.some((s) => s.endsWith(`/cli/${action}`)),
      `${action} loads with the parser`,
    );
  }
});
