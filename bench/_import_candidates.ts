/**
 * The libraries considered for the program's start-up path, each as the import a use needs.
 * Which of them the program depends on is read from `deno.json` when the benchmark runs; only
 * those (and `node:` modules) resolve from the project, so only those are measured.
 *
 * @module
 */

/** One candidate import: a `node:` module or an npm package with an optional subpath. */
export interface ImportCandidate {
  /** What it would do for the program. */
  role: "path" | "files" | "events" | "arguments" | "schema" | "YAML" | "table" | "text width";
  /** `node:<module>`, or an npm package name with an optional `/subpath`. */
  specifier: string;
}

/** Every candidate, grouped by role. */
export const IMPORT_CANDIDATES: readonly ImportCandidate[] = [
  { role: "events", specifier: "node:events" },
  { role: "path", specifier: "node:path" },
  { role: "path", specifier: "pathe" },
  { role: "files", specifier: "node:fs/promises" },
  { role: "arguments", specifier: "node:util" },
  { role: "arguments", specifier: "commander" },
  { role: "arguments", specifier: "@commander-js/extra-typings" },
  { role: "arguments", specifier: "@bomb.sh/args" },
  { role: "arguments", specifier: "mri" },
  { role: "arguments", specifier: "mri/lib/index.mjs" },
  { role: "arguments", specifier: "yargs-parser" },
  { role: "arguments", specifier: "yargs-parser/browser" },
  { role: "arguments", specifier: "citty" },
  { role: "arguments", specifier: "cleye" },
  { role: "schema", specifier: "zod" },
  { role: "schema", specifier: "zod/mini" },
  { role: "schema", specifier: "valibot" },
  { role: "schema", specifier: "superstruct" },
  { role: "schema", specifier: "superstruct/dist/index.mjs" },
  { role: "schema", specifier: "@sinclair/typebox" },
  { role: "schema", specifier: "typebox" },
  { role: "schema", specifier: "arktype" },
  { role: "YAML", specifier: "yaml" },
  { role: "YAML", specifier: "js-yaml" },
  { role: "YAML", specifier: "js-yaml/browser" },
  { role: "table", specifier: "cli-table3" },
  { role: "table", specifier: "table" },
  { role: "table", specifier: "text-table" },
  { role: "table", specifier: "columnify" },
  { role: "table", specifier: "tty-table" },
  { role: "table", specifier: "console-table-printer" },
  { role: "table", specifier: "markdown-table" },
  { role: "text width", specifier: "string-width" },
  { role: "text width", specifier: "get-east-asian-width" },
];

/** The package name of a bare specifier: `@scope/name` or `name`, without the subpath. */
export function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

/** How a candidate can be imported from the project, or that it cannot. */
export type CandidateSource =
  | { kind: "builtin" | "dependency"; specifier: string }
  | { kind: "absent" };

/**
 * Where `specifier` comes from: a `node:` module; a dependency (an `npm:` mapping of its
 * package in deno.json's `imports`, giving the full `npm:` specifier at that version, with
 * the candidate's own subpath); or absent from the project.
 */
export function candidateSource(
  specifier: string,
  imports: Readonly<Record<string, string>>,
): CandidateSource {
  if (specifier.startsWith("node:")) return { kind: "builtin", specifier };
  const name = packageOf(specifier);
  const mapped = imports[name];
  const version = mapped === undefined
    ? undefined
    : /^npm:\/?(?:@[^/@]+\/[^/@]+|[^/@]+)@([^/]+)/.exec(mapped)?.[1];
  if (version === undefined) return { kind: "absent" };
  return { kind: "dependency", specifier: `npm:${name}@${version}${specifier.slice(name.length)}` };
}
