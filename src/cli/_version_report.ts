/**
 * `openshell version`: the version line, then what a bug report needs: Deno's version, the
 * embedded rootfs digest, the OCI runtime `serve` would use and the system registry in use.
 * `-o json` and `-o yaml` print the same as one object.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { effectiveUid, processEnv } from "../host/mod.ts";
import { imageSource, loadManifest } from "../image/mod.ts";
import { systemRoot } from "../registry/mod.ts";
import { resolveRuntime } from "../runtime/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { printData } from "./_output.ts";
import { renderData } from "./_output.ts";
import { VERSION_LINE } from "./_write_stdio.ts";

/** What `version` reports beyond the program version. */
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
 * The lines after the version line of `version`.
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

/** The `version -o json|yaml` object. */
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

/** `openshell version [-o text|json|yaml]`. */
export async function versionCommand(input: CommandInput): Promise<void> {
  const facts = await gatherVersionFacts(denoJson.version);
  const format = input.options.output;
  printData(
    format === "json" || format === "yaml"
      ? await renderData(format, versionObject(facts))
      : [VERSION_LINE, ...versionDetailLines(facts)].join("\n"),
  );
}
