/**
 * The libraries considered for the program's start-up path, each as a small script that
 * imports it at an exact version and makes one real call (so that lazily loaded parts count),
 * and which of them the program uses. The scripts run outside the project (`--no-config`), so
 * every candidate is measured whether or not `deno.json` depends on it.
 *
 * @module
 */

/** What a library would do for the program. */
export type Role =
  | "path"
  | "files"
  | "events"
  | "arguments"
  | "schema"
  | "YAML"
  | "table"
  | "text width";

/** One candidate import: a `node:` module or an npm package with an optional subpath. */
export interface ImportCandidate {
  role: Role;
  /** `node:<module>`, or an npm package name with an optional `/subpath`. */
  specifier: string;
  /** A script importing it by `specifier` (bare, as here) and calling it once. */
  script: string;
}

/** The exact version of every npm package among the candidates. */
export const PINNED_VERSIONS: Readonly<Record<string, string>> = {
  "pathe": "2.0.3",
  "js-yaml": "5.5.0",
  "yaml": "2.9.1",
  "zod": "4.6.7",
  "valibot": "1.5.0",
  "@sinclair/typebox": "0.34.52",
  "typebox": "1.4.3",
  "superstruct": "2.0.2",
  "arktype": "2.2.10",
  "commander": "15.1.0",
  "@commander-js/extra-typings": "15.1.0",
  "mri": "1.2.0",
  "yargs-parser": "22.0.0",
  "@bomb.sh/args": "0.3.1",
  "citty": "0.2.2",
  "cleye": "2.7.0",
  "cli-table3": "0.6.5",
  "table": "6.10.1",
  "text-table": "0.2.0",
  "columnify": "1.6.0",
  "tty-table": "6.0.1",
  "console-table-printer": "2.16.1",
  "markdown-table": "3.1.0",
  "string-width": "9.0.0",
  "get-east-asian-width": "1.7.0",
};

/** What the program uses for each role: a candidate's package, or its own code. */
export const CHOSEN: Readonly<Record<Role, { package?: string; what: string }>> = {
  "path": { what: "own src/path/" },
  "files": { what: "Deno.*" },
  "events": { what: "none" },
  "arguments": { what: "own src/cli/_parse_args.ts" },
  "schema": { package: "valibot", what: "valibot" },
  "YAML": { what: "own src/cli/_yaml_text.ts" },
  "table": { what: "own renderTable" },
  "text width": { what: "own renderTable" },
};

// The calls' inputs: option arguments, a small record, and table rows with a wide character.
const ARGV = `["-o", "yaml", "ls", "--verbose"]`;
const RECORD = `{ name: "vm1", ok: true, n: 3, tags: ["a", "b"], nested: { x: 1, y: null, ` +
  `s: "multi\\nline" } }`;
const ROWS = `[["NAME", "STATUS", "CPU"], ["vm-1", "running", "2"], ["vm-二", "stopped", "4"]]`;
const PATHS = `join("a", "b"), dirname("/a/b"), resolve("x"), basename("/a/b.ts"), ` +
  `relative("/a", "/a/b")`;
const FLAGS = `{ string: ["o"], boolean: ["verbose"], alias: { o: "output" } }`;
const COMMANDER = `const p = new Command("os").option("-o, --output <fmt>", "fmt", "text")` +
  `.option("-v, --verbose"); p.command("ls").argument("[x]").action(() => {}); ` +
  `p.exitOverride(); await p.parseAsync(["node", "os", "-o", "yaml", "ls", "a"]); ` +
  `console.log(p.opts());`;
const SUPERSTRUCT = `{ object, string, number, array, optional, boolean, is, validate }`;
const STRUCT = `object({ name: string(), n: number(), tags: array(string()), ` +
  `opt: optional(boolean()) })`;
const TYPEBOX = `const S = Type.Object({ name: Type.String(), n: Type.Integer(), ` +
  `tags: Type.Array(Type.String()), opt: Type.Optional(Type.Boolean()) });`;
const ZOD = `const S = z.object({ name: z.string(), n: z.number(), tags: z.array(z.string()), ` +
  `opt: z.optional(z.boolean()) }); ` +
  `console.log(S.safeParse({ name: "a", n: 1, tags: [] }).success, ` +
  `S.safeParse({ name: 1 }).success);`;

/** A candidate imported as `binding` whose one call, `call`, is printed. */
function printed(role: Role, specifier: string, binding: string, call: string): ImportCandidate {
  return {
    role,
    specifier,
    script: `import ${binding} from "${specifier}";\nconsole.log(${call});`,
  };
}

/** Every candidate, grouped by role. */
export const IMPORT_CANDIDATES: readonly ImportCandidate[] = [
  {
    role: "events",
    specifier: "node:events",
    script: `import { EventEmitter } from "node:events";
const e = new EventEmitter(); e.on("x", () => {}); console.log(e.emit("x"));`,
  },
  {
    role: "path",
    specifier: "node:path",
    script: `import { basename, dirname, join, relative, resolve } from "node:path";
console.log(${PATHS});`,
  },
  {
    role: "path",
    specifier: "pathe",
    script: `import { basename, dirname, join, relative, resolve } from "pathe";
console.log(${PATHS});`,
  },
  {
    role: "files",
    specifier: "node:fs/promises",
    script: `import { stat } from "node:fs/promises";
console.log((await stat(".")).isDirectory());`,
  },
  {
    role: "arguments",
    specifier: "node:util",
    script: `import { parseArgs } from "node:util";
console.log(parseArgs({ args: ${ARGV}, allowPositionals: true, options: { output: { type: "string", short: "o" }, verbose: { type: "boolean" } } }));`,
  },
  {
    role: "arguments",
    specifier: "commander",
    script: `import { Command } from "commander";\n${COMMANDER}`,
  },
  {
    role: "arguments",
    specifier: "@commander-js/extra-typings",
    script: `import { Command } from "@commander-js/extra-typings";\n${COMMANDER}`,
  },
  printed("arguments", "@bomb.sh/args", "{ parse }", `parse(${ARGV}, ${FLAGS})`),
  printed("arguments", "mri", "mri", `mri(${ARGV}, ${FLAGS})`),
  printed("arguments", "mri/lib/index.mjs", "mri", `mri(${ARGV}, ${FLAGS})`),
  printed("arguments", "yargs-parser", "parser", `parser(${ARGV}, ${FLAGS})`),
  printed("arguments", "yargs-parser/browser", "parser", `parser(${ARGV}, ${FLAGS})`),
  {
    role: "arguments",
    specifier: "citty",
    script: `import { defineCommand, runCommand } from "citty";
const cmd = defineCommand({ meta: { name: "os" }, args: { output: { type: "string", alias: "o" }, verbose: { type: "boolean" } }, run({ args }) { console.log(args.output, args.verbose); } });
await runCommand(cmd, { rawArgs: ["-o", "yaml", "--verbose"] });`,
  },
  {
    role: "arguments",
    specifier: "cleye",
    script: `import { cli } from "cleye";
const a = cli({ name: "os", flags: { output: { type: String, alias: "o" }, verbose: Boolean } }, undefined, ["-o", "yaml", "--verbose", "ls"]);
console.log(a.flags, a._);`,
  },
  { role: "schema", specifier: "zod", script: `import * as z from "zod";\n${ZOD}` },
  { role: "schema", specifier: "zod/mini", script: `import * as z from "zod/mini";\n${ZOD}` },
  {
    role: "schema",
    specifier: "valibot",
    script: `import * as v from "valibot";
const S = v.object({ name: v.string(), n: v.pipe(v.number(), v.integer()), tags: v.array(v.string()), opt: v.optional(v.boolean()) });
console.log(v.safeParse(S, { name: "a", n: 1, tags: [] }).success, v.safeParse(S, { name: 1 }).success);`,
  },
  {
    role: "schema",
    specifier: "superstruct",
    script: `import ${SUPERSTRUCT} from "superstruct";
const S = ${STRUCT}; console.log(is({ name: "a", n: 1, tags: [] }, S), validate({ name: 1 }, S)[0] !== undefined);`,
  },
  {
    role: "schema",
    specifier: "superstruct/dist/index.mjs",
    script: `import ${SUPERSTRUCT} from "superstruct/dist/index.mjs";
const S = ${STRUCT}; console.log(is({ name: "a", n: 1, tags: [] }, S), validate({ name: 1 }, S)[0] !== undefined);`,
  },
  {
    role: "schema",
    specifier: "@sinclair/typebox",
    script:
      `import { Type } from "@sinclair/typebox"; import { Value } from "@sinclair/typebox/value";
${TYPEBOX}
console.log(Value.Check(S, { name: "a", n: 1, tags: [] }), [...Value.Errors(S, { name: 1 })].length);`,
  },
  {
    role: "schema",
    specifier: "typebox",
    script: `import Type from "typebox"; import Value from "typebox/value";
${TYPEBOX}
console.log(Value.Check(S, { name: "a", n: 1, tags: [] }), Value.Errors(S, { name: 1 }).length);`,
  },
  {
    role: "schema",
    specifier: "arktype",
    script: `import { type } from "arktype";
const S = type({ name: "string", n: "number.integer", tags: "string[]", "opt?": "boolean" });
console.log(!(S({ name: "a", n: 1, tags: [] }) instanceof type.errors), S({ name: 1 }) instanceof type.errors);`,
  },
  printed("YAML", "yaml", "{ stringify }", `stringify(${RECORD})`),
  printed("YAML", "js-yaml", "{ dump }", `dump(${RECORD})`),
  printed("YAML", "js-yaml/browser", "{ dump }", `dump(${RECORD})`),
  {
    role: "table",
    specifier: "cli-table3",
    script: `import Table from "cli-table3";
const rows = ${ROWS}; const t = new Table({ head: rows[0] }); t.push(...rows.slice(1)); console.log(t.toString());`,
  },
  printed("table", "table", "{ table }", `table(${ROWS})`),
  printed("table", "text-table", "textTable", `textTable(${ROWS})`),
  {
    role: "table",
    specifier: "columnify",
    script: `import columnify from "columnify";
console.log(columnify([{ name: "vm-1", status: "running" }, { name: "vm-二", status: "stopped" }]));`,
  },
  {
    role: "table",
    specifier: "tty-table",
    script: `import Table from "tty-table";
const rows = ${ROWS}; console.log(Table(rows[0].map((value) => ({ value })), rows.slice(1)).render());`,
  },
  {
    role: "table",
    specifier: "console-table-printer",
    script: `import { Table } from "console-table-printer";
const t = new Table(); t.addRows([{ name: "vm-1", status: "running" }, { name: "vm-二", status: "stopped" }]); console.log(t.render());`,
  },
  printed("table", "markdown-table", "{ markdownTable }", `markdownTable(${ROWS})`),
  {
    role: "text width",
    specifier: "string-width",
    script: `import stringWidth from "string-width";
console.log(stringWidth("vm-二"), stringWidth("\\u001b[31mred\\u001b[39m"));`,
  },
  {
    role: "text width",
    specifier: "get-east-asian-width",
    script: `import { eastAsianWidth } from "get-east-asian-width";
let w = 0; for (const ch of "vm-二") w += eastAsianWidth(ch.codePointAt(0)!); console.log(w);`,
  },
];

/** The package name of a bare specifier: `@scope/name` or `name`, without the subpath. */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/**
 * The specifier a bare one is imported by outside the project: `node:` and `npm:` ones as they are,
 * an npm package as `npm:<name>@<version>` with its subpath; undefined when no version is
 * known for it.
 */
export function pinnedSpecifier(
  specifier: string,
  versions: Readonly<Record<string, string>> = PINNED_VERSIONS,
): string | undefined {
  if (specifier.startsWith("node:") || specifier.startsWith("npm:")) return specifier;
  const name = packageOf(specifier);
  const version = versions[name];
  return version === undefined
    ? undefined
    : `npm:${name}@${version}${specifier.slice(name.length)}`;
}

/**
 * A candidate's script as it runs: every bare import (`from "<name>[/subpath]"`) pinned by
 * {@link pinnedSpecifier}; undefined when one has no known version.
 */
export function pinnedScript(
  script: string,
  versions: Readonly<Record<string, string>> = PINNED_VERSIONS,
): string | undefined {
  let unknown = false;
  const text = script.replace(/\bfrom "([^"]+)"/g, (whole, specifier: string) => {
    const pinned = pinnedSpecifier(specifier, versions);
    if (pinned === undefined) unknown = true;
    return pinned === undefined ? whole : `from ${JSON.stringify(pinned)}`;
  });
  return unknown ? undefined : text;
}

/** `used` when the program uses the candidate for its role, else `rejected`. */
export function verdict(candidate: Pick<ImportCandidate, "role" | "specifier">): string {
  return CHOSEN[candidate.role].package === packageOf(candidate.specifier) ? "used" : "rejected";
}

/**
 * The npm packages `deno.json`'s `imports` maps (type-only `@types/` ones left out), each as
 * its package name and the `npm:` specifier it maps to.
 */
export function npmDependencies(
  imports: Readonly<Record<string, string>>,
): { name: string; specifier: string }[] {
  return Object.entries(imports)
    .filter(([name, target]) =>
      target.startsWith("npm:") && !name.endsWith("/") && !name.startsWith("@types/")
    )
    .map(([name, specifier]) => ({ name, specifier }));
}

/** Why a run failed, in one line: its `error:` line (the last line when none), shortened. */
export function failureReason(stderr: string, width = 100): string {
  // deno-lint-ignore no-control-regex
  const lines = stderr.replace(/\x1b\[[0-9;]*m/g, "").split("\n").map((line) => line.trim())
    .filter((line) => line !== "");
  const line = (lines.find((l) => l.startsWith("error: ")) ?? lines.at(-1) ?? "no output")
    .replace(/^error: /, "");
  return line.length > width ? `${line.slice(0, width - 3)}...` : line;
}
