/**
 * `openshell --version`: the program version on the first line (printed before the
 * lookups run), then what a bug report needs: Deno's
 * version, the embedded rootfs digest and the OCI runtime `serve` would use. `-o json`
 * prints the same as one object.
 *
 * @module
 */
import { effectiveUid, processEnv } from "../host/mod.ts";
import { imageSource, loadManifest } from "../image/mod.ts";
import { systemRoot } from "../registry/mod.ts";
import { resolveRuntime } from "../runtime/mod.ts";
import { CLOSED_PIPE_STATUS, writeStdio } from "./_write_stdio.ts";

/** What `--version` reports beyond the program version. */
export interface VersionFacts {
  version: string;
  deno: typeof Deno.version;
  /** The rootfs image's sha256 and where its manifest is, or why it cannot be read. */
  rootfs: { sha256: string; manifest: string } | { error: string };
  /** The runtime `serve` would run, or why none is found. */
  runtime: { name: string; path: string } | { name: string; error: string };
  /** The system registry root and where it came from (variable, installed, compiled, built-in). */
  systemRegistry: { path: string; source: string; file?: string };
}

/**
 * Whether `args` ask only for the version: `--version`/`-V`, optionally with `-o FORMAT`.
 * Returns the format (`text` or `json`), or undefined when the CLI must parse them.
 *
 * @example
 * ```ts
 * versionRequest(["--version"]); // "text"
 * versionRequest(["-V", "-o=json"]); // "json"
 * versionRequest(["gateway", "list"]); // undefined
 * ```
 */
export function versionRequest(args: readonly string[]): "text" | "json" | undefined {
  let version = false;
  let format = "text";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--version" || arg === "-V") version = true;
    else if (arg === "-o" || arg === "--output") format = args[++i] ?? "";
    else if (/^(?:-o=?|--output=)/.test(arg)) format = arg.replace(/^(?:-o=?|--output=)/, "");
    else return undefined;
  }
  return version && (format === "text" || format === "json") ? format : undefined;
}

/**
 * The lines after the first of `--version`.
 *
 * @example
 * ```ts
 * import { gatherVersionFacts, versionDetailLines } from "./_version_report.ts";
 * versionDetailLines(await gatherVersionFacts("0.1.0"))[0]; // "deno 2.9.6 (v8 14.x, typescript 5.x)"
 * ```
 */
export function versionDetailLines(facts: VersionFacts): string[] {
  const { deno, rootfs, runtime, systemRegistry } = facts;
  return [
    `deno ${deno.deno} (v8 ${deno.v8}, typescript ${deno.typescript})`,
    "sha256" in rootfs ? `rootfs sha256:${rootfs.sha256}` : `rootfs: ${rootfs.error}`,
    "path" in runtime
      ? `runtime ${runtime.name} (${runtime.path})`
      : `runtime ${runtime.name}: ${runtime.error}`,
    `system registry ${systemRegistry.path} (${systemRegistry.source})`,
  ];
}

/** The `--version -o json` object. */
export function versionObject(facts: VersionFacts): Record<string, unknown> {
  const { deno, rootfs, runtime } = facts;
  return {
    version: facts.version,
    deno: deno.deno,
    v8: deno.v8,
    typescript: deno.typescript,
    rootfs: "sha256" in rootfs
      ? { sha256: rootfs.sha256, manifest: rootfs.manifest, error: null }
      : { sha256: null, manifest: null, error: rootfs.error },
    runtime: "path" in runtime
      ? { name: runtime.name, path: runtime.path, error: null }
      : { name: runtime.name, path: null, error: runtime.error },
    system_registry: {
      path: facts.systemRegistry.path,
      source: facts.systemRegistry.source,
      file: facts.systemRegistry.file ?? null,
    },
  };
}

/** Looks up what {@linkcode VersionFacts} holds; never throws. */
export async function gatherVersionFacts(version: string): Promise<VersionFacts> {
  const source = imageSource(processEnv);
  const [rootfs, runtime] = await Promise.all([
    loadManifest(source).then(
      (manifest) => ({ sha256: manifest.tarball.sha256, manifest: source.manifest }),
      (error) => ({ error: (error as Error).message }),
    ),
    resolveRuntime({ env: processEnv, uid: effectiveUid() }).then(
      ({ runtime }) => ({ name: runtime.name, path: runtime.path }),
      (error) => ({ name: "youki", error: (error as Error).message }),
    ),
  ]);
  // The warning about an unusable variable is for the commands that read the registry.
  const systemRegistry = systemRoot(processEnv, () => {});
  return { version, deno: Deno.version, rootfs, runtime, systemRegistry };
}

/**
 * Prints `--version` in `format` and returns the exit status; the first text line is
 * written before the lookups.
 */
export async function printVersion(version: string, format: "text" | "json"): Promise<number> {
  try {
    if (format === "text") writeStdio("stdout", `${version}\n`);
    const facts = await gatherVersionFacts(version);
    const text = format === "json"
      ? JSON.stringify(versionObject(facts), null, 2)
      : versionDetailLines(facts).join("\n");
    writeStdio("stdout", `${text}\n`);
    return 0;
  } catch (error) {
    if (error instanceof Deno.errors.BrokenPipe) return CLOSED_PIPE_STATUS;
    throw error;
  }
}
