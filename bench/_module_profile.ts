/**
 * Which modules a command loads, read from the process itself: Deno's debug log names every
 * ES module V8 compiles (only what the run reached, lazy imports included) and every `node:`
 * module an npm package asks for; `deno info --json` adds each loaded file's own imports.
 * The loaded set is grouped into the parts a reader can act on: `node:` modules, npm
 * packages, and the program's own folders.
 *
 * @module
 */
import { relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The ES modules V8 compiled, in order, from a `--log-level=debug` run's stderr. */
export function loadedModules(debugLog: string): string[] {
  const found = new Set<string>();
  for (const match of debugLog.matchAll(/ES module: (\S+?),? \[/g)) found.add(match[1]!);
  return [...found];
}

/** The `node:` modules npm packages resolved during a `--log-level=debug` run. */
export function npmBuiltinRequests(debugLog: string): string[] {
  const found = new Set<string>();
  for (const match of debugLog.matchAll(/resolving in npm package: specifier=(node:\S+)/g)) {
    found.add(match[1]!);
  }
  return [...found].sort();
}

/**
 * Whether a `--log-level=debug` run loaded Deno's Node compatibility layer: a `node:` module
 * or one of its internals (`ext:deno_node/`), as CommonJS packages and `node:` imports do.
 */
export function loadsNodeLayer(debugLog: string): boolean {
  return /ES module: (?:node:|ext:deno_node\/)/.test(debugLog);
}

/** The package name of an `npm:` specifier, e.g. `@scope/name` of `npm:@scope/name@1.0/x`. */
export function npmPackageName(specifier: string): string | undefined {
  return /^npm:\/?(@[^/@]+\/[^/@]+|[^/@]+)/.exec(specifier)?.[1];
}

/** One module of `deno info --json` and what it imports. */
export interface GraphModule {
  specifier: string;
  dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
}

/** One npm package of `deno info --json`: where it lies on disk. */
export interface GraphPackage {
  name: string;
  version: string;
  localPath?: string;
}

/** The parts of the program's loaded modules. */
export interface ModuleProfile {
  /** `src`-relative folder (`.` for `src/` itself) → the loaded files in it, as URLs. */
  folders: Map<string, string[]>;
  /** The npm imports of the program's own loaded files whose package was loaded. */
  npmImports: string[];
  /** Every npm package loaded, as `name@version`, including what other packages pull in. */
  npmPackages: string[];
  /** The `node:` modules the program's own loaded files import statically. */
  nodeImports: string[];
  /** The `node:` modules that loaded npm packages resolved. */
  npmNodeImports: string[];
}

/**
 * Groups the modules a run loaded (`loaded`, from {@link loadedModules}) using the module
 * graph: the program's own files (under `src`) by folder, the npm packages by where they lie,
 * and the imports of the own files. A dynamic import counts only when its target was loaded.
 */
export function profileModules(
  loaded: readonly string[],
  src: string,
  graph: { modules: readonly GraphModule[]; packages: readonly GraphPackage[] },
  npmNodeImports: readonly string[] = [],
): ModuleProfile {
  const srcUrl = pathToFileURL(src).href + "/";
  const loadedSet = new Set(loaded);
  const folders = new Map<string, string[]>();
  for (const url of loaded) {
    if (!url.startsWith(srcUrl)) continue;
    const path = relative(src, fileURLToPath(url));
    const folder = path.includes("/") ? path.slice(0, path.indexOf("/")) : ".";
    folders.set(folder, [...folders.get(folder) ?? [], url]);
  }
  const packageUrls = graph.packages.flatMap((pkg) =>
    pkg.localPath === undefined ? [] : [{
      id: `${pkg.name}@${pkg.version}`,
      name: pkg.name,
      url: pathToFileURL(pkg.localPath).href,
    }]
  );
  const loadedPackages = new Set<string>();
  for (const url of loaded) {
    for (const pkg of packageUrls) {
      if (url === pkg.url || url.startsWith(pkg.url + "/")) loadedPackages.add(pkg.id);
    }
  }
  const loadedNames = new Set(
    packageUrls.filter((pkg) => loadedPackages.has(pkg.id)).map((pkg) => pkg.name),
  );
  const npmImports = new Set<string>();
  const nodeImports = new Set<string>();
  for (const module of graph.modules) {
    if (!loadedSet.has(module.specifier) || !module.specifier.startsWith(srcUrl)) continue;
    for (const dependency of module.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (target === undefined) continue;
      if (target.startsWith("npm:")) {
        const name = npmPackageName(target);
        if (name !== undefined && loadedNames.has(name)) npmImports.add(target);
      } else if (target.startsWith("node:") && !dependency.isDynamic) {
        nodeImports.add(target);
      }
    }
  }
  return {
    folders,
    npmImports: [...npmImports].sort(),
    npmPackages: [...loadedPackages].sort(),
    nodeImports: [...nodeImports].sort(),
    npmNodeImports: [...npmNodeImports].filter((name) => !nodeImports.has(name)).sort(),
  };
}

/** The module graph of `entry` as `deno info --json` reports it under the given config. */
export async function readModuleGraph(
  entry: string,
  config: string,
): Promise<{ modules: GraphModule[]; packages: GraphPackage[] }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `--config=${config}`, entry],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!output.success) {
    throw new Error(`deno info ${entry}: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules?: GraphModule[];
    npmPackages?: Record<string, GraphPackage>;
  };
  return { modules: info.modules ?? [], packages: Object.values(info.npmPackages ?? {}) };
}

/**
 * Runs `deno <args>` with Deno's debug log on (`--quiet` left out: it would silence the log):
 * whether it succeeded, and that log (its stderr).
 */
export async function debugRun(
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
): Promise<{ success: boolean; log: string }> {
  const [command, ...rest] = args;
  const output = await new Deno.Command(Deno.execPath(), {
    args: [command!, "--log-level=debug", ...rest.filter((arg) => arg !== "--quiet")],
    env,
    clearEnv: true,
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  return { success: output.success, log: new TextDecoder().decode(output.stderr) };
}

/** Runs `deno <args>` with Deno's debug log on and returns that log (its stderr). */
export async function debugLogOf(
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
): Promise<string> {
  return (await debugRun(args, env, cwd)).log;
}
