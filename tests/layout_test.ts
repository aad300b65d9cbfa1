/**
 * The layout rules of `src/`, read from Deno's own module graph (`deno info --json`): each
 * folder is entered only through its `mod.ts`, a file that `mod.ts` does not re-export is
 * `_`-prefixed, and neither files nor folders import each other in a circle.
 */
import assert from "node:assert/strict";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(import.meta.dirname!, "..");
const SRC = join(REPO, "src");

/** `src`-relative path → the `src`-relative paths it imports (static, dynamic and type-only). */
type Graph = Map<string, Set<string>>;

async function sourceFiles(dir = SRC): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) found.push(relative(SRC, path));
  }
  return found.sort();
}

async function moduleGraph(files: string[]): Promise<Graph> {
  const root = await Deno.makeTempFile({ prefix: "openshell-layout-", suffix: ".ts" });
  try {
    await Deno.writeTextFile(
      root,
      files.map((file) => `import ${JSON.stringify(`file://${join(SRC, file)}`)};\n`).join(""),
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", `--config=${join(REPO, "deno.json")}`, root],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(output.success, new TextDecoder().decode(output.stderr));
    const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
      }[];
    };
    const inSrc = (specifier: string): string | undefined => {
      if (!specifier.startsWith("file://")) return undefined;
      const path = relative(SRC, fileURLToPath(specifier));
      return path.startsWith("..") ? undefined : path;
    };
    const graph: Graph = new Map();
    for (const module of info.modules) {
      const from = inSrc(module.specifier);
      if (from === undefined) continue;
      const targets = new Set<string>();
      for (const dependency of module.dependencies ?? []) {
        for (const target of [dependency.code?.specifier, dependency.type?.specifier]) {
          const to = target === undefined ? undefined : inSrc(target);
          if (to !== undefined) targets.add(to);
        }
      }
      graph.set(from, targets);
    }
    return graph;
  } finally {
    await Deno.remove(root);
  }
}

/** The folder a `src`-relative file belongs to; `""` for the entry point at the top. */
function folderOf(file: string): string {
  const slash = file.indexOf("/");
  return slash === -1 ? "" : file.slice(0, slash);
}

/** Imports of another folder that do not go through its `mod.ts`. */
export function doorViolations(graph: Graph): string[] {
  const found: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (folderOf(to) !== folderOf(from) && to !== `${folderOf(to)}/mod.ts`) {
        found.push(`${from} imports ${to}`);
      }
    }
  }
  return found;
}

/** One circle of imports as `a -> b -> a`, or undefined when there is none. */
export function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") {
      return [...path.slice(path.indexOf(node)), node].join(" -> ");
    }
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle !== undefined) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle !== undefined) return cycle;
  }
  return undefined;
}

/** The graph of folders: which folder imports which other one. */
function folderGraph(graph: Graph): Map<string, Set<string>> {
  const folders = new Map<string, Set<string>>();
  for (const [from, targets] of graph) {
    const edges = folders.get(folderOf(from)) ?? new Set<string>();
    for (const to of targets) if (folderOf(to) !== folderOf(from)) edges.add(folderOf(to));
    folders.set(folderOf(from), edges);
  }
  return folders;
}

const files = await sourceFiles();
const graph = await moduleGraph(files);

Deno.test("every file under src is in the module graph", () => {
  assert.deepEqual(files.filter((file) => !graph.has(file)), []);
});

Deno.test("each folder under src has a mod.ts", () => {
  const folders = new Set(files.map(folderOf).filter((folder) => folder !== ""));
  assert.deepEqual([...folders].filter((folder) => !files.includes(`${folder}/mod.ts`)), []);
});

Deno.test("other folders are imported only through their mod.ts", () => {
  assert.deepEqual(doorViolations(graph), []);
});

Deno.test("a file its folder's mod.ts does not re-export is _-prefixed", () => {
  const hidden = files.filter((file) => {
    const folder = folderOf(file);
    const name = file.slice(folder.length + 1);
    return folder !== "" && name !== "mod.ts" && !name.startsWith("_") &&
      !graph.get(`${folder}/mod.ts`)?.has(file);
  });
  assert.deepEqual(hidden, []);
});

Deno.test("no two files import each other in a circle", () => {
  assert.equal(findCycle(graph), undefined);
});

Deno.test("no two folders import each other in a circle", () => {
  assert.equal(findCycle(folderGraph(graph)), undefined);
});

Deno.test("the rules catch what they are about", () => {
  const broken: Graph = new Map([
    ["cli/a.ts", new Set(["registry/_b.ts"])],
    ["registry/_b.ts", new Set(["registry/c.ts"])],
    ["registry/c.ts", new Set(["registry/_b.ts"])],
  ]);
  assert.deepEqual(doorViolations(broken), ["cli/a.ts imports registry/_b.ts"]);
  assert.equal(findCycle(broken), "registry/_b.ts -> registry/c.ts -> registry/_b.ts");
  assert.equal(findCycle(folderGraph(broken)), undefined);
  assert.equal(
    findCycle(new Map([["a", new Set(["b"])], ["b", new Set(["a"])]])),
    "a -> b -> a",
  );
});
