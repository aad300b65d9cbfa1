/**
 * What the hot path loads, read from Deno's own module graph (`deno info --json`): the modules
 * that argument parsing, registry reads, health checks and the start of serve are built from
 * import, statically,
 * no `node:*` module and no CommonJS npm package, since either loads Deno's Node compatibility
 * layer, which costs more than the work itself. Dynamic imports (loaded only when a rare case
 * needs them) and type-only imports (erased) are not followed.
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tempDir } from "./_helpers/temp_dir.ts";

const REPO = resolve(import.meta.dirname!, "..");

/** The doors of the hot path; each is checked with everything it imports. */
const HOT_PATH_ENTRIES = [
  "src/errors/mod.ts",
  "src/bounded_read/mod.ts",
  "src/files/mod.ts",
  "src/host/mod.ts",
  "src/path/mod.ts",
  "src/registry/mod.ts",
  "src/client/mod.ts",
  "src/container/mod.ts",
  "src/image/mod.ts",
  "src/runtime/mod.ts",
  "src/serve/mod.ts",
  "src/main.ts",
  "src/cli/mod.ts",
  "src/cli/_gateway_list.ts",
  "src/cli/_gateway_info.ts",
  "src/cli/_gateway_select.ts",
  "src/cli/_status_command.ts",
  "src/cli/_serve_command.ts",
  "src/cli/_serve_run.ts",
  "src/cli/_version_report.ts",
];

interface Dependency {
  code?: { specifier: string };
  isDynamic?: boolean;
}
interface ModuleInfo {
  specifier: string;
  kind?: string;
  npmPackage?: string;
  dependencies?: Dependency[];
}
interface GraphInfo {
  modules: ModuleInfo[];
  redirects: Record<string, string>;
  npmPackages: Record<string, { name: string; localPath?: string }>;
}

async function graphOf(entry: string): Promise<GraphInfo> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `--config=${join(REPO, "deno.json")}`, join(REPO, entry)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return JSON.parse(new TextDecoder().decode(output.stdout)) as GraphInfo;
}

/** The file an export condition leads to, with the conditions Deno resolves npm imports by. */
function exportTarget(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return exportTarget(value[0]);
  if (typeof value !== "object" || value === null) return undefined;
  const conditions = value as Record<string, unknown>;
  for (const condition of ["deno", "node", "import", "default"]) {
    if (condition in conditions) return exportTarget(conditions[condition]);
  }
  return undefined;
}

/**
 * Whether the npm package at `dir` loads as CommonJS for `subpath` (`.` or `./x`): what its
 * `exports` (else `main`) lead to ends in `.cjs`, or in `.js` without `"type": "module"`.
 */
export function loadsAsCommonJs(
  manifest: { type?: string; main?: string; exports?: unknown },
  subpath: string,
): boolean {
  const exports = manifest.exports;
  const map = typeof exports === "object" && exports !== null && !Array.isArray(exports) &&
      Object.keys(exports).some((key) => key.startsWith("."))
    ? exports as Record<string, unknown>
    : { ".": exports };
  const file = exports === undefined
    ? (subpath === "." ? manifest.main ?? "index.js" : subpath)
    : exportTarget(map[subpath]) ?? "";
  if (file.endsWith(".mjs")) return false;
  if (file.endsWith(".cjs")) return true;
  if (file.endsWith(".json") || file.endsWith(".d.ts")) return false; // types and data only
  return manifest.type !== "module";
}

/** Why a module may not be on the hot path, or `undefined` when it may. */
async function offence(specifier: string, graph: GraphInfo): Promise<string | undefined> {
  if (specifier.startsWith("node:")) return "a node:* module";
  if (!specifier.startsWith("npm:")) return undefined;
  const { name, subpath } = parseNpm(specifier);
  const found = Object.values(graph.npmPackages).find((p) => p.name === name);
  assert.ok(found?.localPath, `no node_modules copy of ${name}: run deno install`);
  const manifest = JSON.parse(await Deno.readTextFile(join(found.localPath, "package.json")));
  return loadsAsCommonJs(manifest, subpath) ? "a CommonJS npm package" : undefined;
}

function parseNpm(specifier: string): { name: string; subpath: string } {
  const body = specifier.replace(/^npm:\/?/, "");
  const scoped = body.startsWith("@");
  const parts = body.split("/");
  const nameAndVersion = scoped ? `${parts[0]}/${parts[1]}` : parts[0]!;
  const rest = parts.slice(scoped ? 2 : 1);
  const name = nameAndVersion.replace(/(.)@[^@]*$/, "$1");
  return { name, subpath: rest.length > 0 ? `./${rest.join("/")}` : "." };
}

function shortName(specifier: string): string {
  return specifier.startsWith("file://") ? relative(REPO, fileURLToPath(specifier)) : specifier;
}

/** Each forbidden module the entry loads statically, with the import chain that loads it. */
async function hotPathOffences(entry: string): Promise<string[]> {
  return await offences(await graphOf(entry), pathToFileURL(join(REPO, entry)).href);
}

/** Each forbidden module `root` reaches in `graph` through static imports, with its chain. */
async function offences(graph: GraphInfo, rootSpecifier: string): Promise<string[]> {
  const modules = new Map(graph.modules.map((m) => [m.specifier, m]));
  const canonical = (s: string) => graph.redirects[s] ?? s;
  const root = canonical(rootSpecifier);
  assert.ok(modules.has(root), `${rootSpecifier} is not in the module graph`);
  const parent = new Map<string, string | undefined>([[root, undefined]]);
  const queue = [root];
  const found: string[] = [];
  while (queue.length > 0) {
    const current = queue.shift()!;
    const why = await offence(current, graph);
    if (why !== undefined) {
      const chain: string[] = [];
      for (let at: string | undefined = current; at !== undefined; at = parent.get(at)) {
        chain.unshift(shortName(at));
      }
      found.push(`${why}: ${chain.join(" -> ")}`);
      continue;
    }
    for (const dependency of modules.get(current)?.dependencies ?? []) {
      if (dependency.isDynamic || dependency.code === undefined) continue;
      const target = canonical(dependency.code.specifier);
      if (parent.has(target)) continue;
      parent.set(target, current);
      queue.push(target);
    }
  }
  return found;
}

for (const entry of HOT_PATH_ENTRIES) {
  Deno.test(`${entry} loads no node:* module and no CommonJS package`, async () => {
    assert.deepEqual(await hotPathOffences(entry), []);
  });
}

Deno.test("the check names each offender with its import chain", async () => {
  await using dir = await tempDir("openshell-hot-path-");
  const cjs = join(dir.path, "cjs");
  const esm = join(dir.path, "esm");
  await Deno.mkdir(cjs);
  await Deno.mkdir(esm);
  await Deno.writeTextFile(join(cjs, "package.json"), JSON.stringify({ main: "index.js" }));
  await Deno.writeTextFile(
    join(esm, "package.json"),
    JSON.stringify({ type: "module", exports: { ".": "./index.js" } }),
  );
  const file = (name: string) => pathToFileURL(join(REPO, "src", name)).href;
  const imports = (...specifiers: string[]) => specifiers.map((s) => ({ code: { specifier: s } }));
  const graph: GraphInfo = {
    modules: [
      { specifier: file("a/mod.ts"), dependencies: imports(file("a/b.ts"), "npm:/esm@1.0.0") },
      {
        specifier: file("a/b.ts"),
        dependencies: [
          ...imports("node:path", "npm:/cjs@2.0.0/lib"),
          { code: { specifier: "node:fs" }, isDynamic: true },
        ],
      },
    ],
    redirects: { "npm:cjs@2.0.0/lib": "npm:/cjs@2.0.0/lib" },
    npmPackages: {
      "cjs@2.0.0": { name: "cjs", localPath: cjs },
      "esm@1.0.0": { name: "esm", localPath: esm },
    },
  };
  assert.deepEqual(await offences(graph, file("a/mod.ts")), [
    "a node:* module: src/a/mod.ts -> src/a/b.ts -> node:path",
    "a CommonJS npm package: src/a/mod.ts -> src/a/b.ts -> npm:/cjs@2.0.0/lib",
  ]);
});

Deno.test("CommonJS is told from ESM by exports, main and type", () => {
  assert.equal(loadsAsCommonJs({ main: "lib/index.js" }, "."), true);
  assert.equal(loadsAsCommonJs({ type: "module", main: "index.js" }, "."), false);
  assert.equal(
    loadsAsCommonJs({ exports: { ".": { import: "./a.mjs", require: "./a.cjs" } } }, "."),
    false,
  );
  assert.equal(
    loadsAsCommonJs({
      exports: { ".": { types: "./i.d.ts", node: "./dist/index.js", default: "./browser.js" } },
    }, "."),
    true,
  );
  assert.equal(loadsAsCommonJs({ type: "module", exports: "./index.js" }, "."), false);
  assert.equal(
    loadsAsCommonJs({ exports: { "./sub": { require: "./s.cjs", default: "./s.cjs" } } }, "./sub"),
    true,
  );
});
