/**
 * The benchmarks' pure helpers: summaries, goal verdicts and formatting, the module profile
 * read from Deno's debug log, and where a library candidate resolves from.
 */
import assert from "node:assert/strict";
import { pathToFileURL } from "node:url";
import {
  fastestOf,
  formatDeltaMb,
  formatDeltaMs,
  formatFigure,
  formatGoal,
  formatMb,
  formatMs,
  formatRatio,
  formatRow,
  formatSummary,
  median,
  meets,
  pairedDifference,
  pairedRatio,
} from "../bench/_report.ts";
import {
  loadedModules,
  loadsNodeLayer,
  npmBuiltinRequests,
  npmPackageName,
  profileModules,
} from "../bench/_module_profile.ts";
import {
  CHOSEN,
  failureReason,
  IMPORT_CANDIDATES,
  npmDependencies,
  packageOf,
  PINNED_VERSIONS,
  pinnedScript,
  pinnedSpecifier,
  verdict,
} from "../bench/_import_candidates.ts";
import { serveOverhead } from "../bench/_serve_start.ts";

Deno.test("median: odd and even counts, unsorted input, empty", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
  const input = [5, 1, 4];
  median(input);
  assert.deepEqual(input, [5, 1, 4], "the input is left unsorted");
});

Deno.test("fastestOf: the smallest value; NaN when empty", () => {
  assert.equal(fastestOf([20.5, 19.75, 30]), 19.75);
  assert.ok(Number.isNaN(fastestOf([])));
});

Deno.test("formatRatio: two decimals; - when unknown", () => {
  assert.equal(formatRatio(42.9 / 19.8), "2.17x");
  assert.equal(formatRatio(1), "1.00x");
  assert.equal(formatRatio(NaN), "-");
  assert.equal(formatRatio(10 / 0), "-");
});

Deno.test("pairedRatio and pairedDifference: medians over the pairs, not of each side", () => {
  const times = [40, 100, 60];
  const baseline = [20, 80, 20];
  assert.equal(pairedRatio(times, baseline), 2, "ratios 2, 1.25, 3");
  assert.equal(pairedDifference(times, baseline), 20, "differences 20, 20, 40");
  assert.ok(Number.isNaN(pairedRatio([], [])));
  assert.ok(Number.isNaN(pairedDifference([], [])));
});

Deno.test("formatMs, formatDeltaMs, formatMb and formatDeltaMb", () => {
  assert.equal(formatMs(19.84), "19.8 ms");
  assert.equal(formatMs(NaN), "-");
  assert.equal(formatDeltaMs(7), "+7.0 ms");
  assert.equal(formatDeltaMs(-2.34), "-2.3 ms");
  assert.equal(formatDeltaMs(0), "+0.0 ms");
  assert.equal(formatDeltaMs(Infinity), "-");
  assert.equal(formatMb(40 * 1024), "40.0 MB");
  assert.equal(formatMb(62_771), "61.3 MB");
  assert.equal(formatMb(NaN), "-");
  assert.equal(formatDeltaMb(4198), "+4.1 MB");
  assert.equal(formatDeltaMb(-512), "-0.5 MB");
  assert.equal(formatDeltaMb(NaN), "-");
});

Deno.test("meets and formatGoal: at the limit is met, above is missed, unknown is neither", () => {
  const ratio = { limit: 1.3, unit: "x" } as const;
  const two = { limit: 2, unit: "x" } as const;
  const megabytes = { limit: 40, unit: " MB" } as const;
  const ms = { limit: 40, unit: " ms" } as const;
  assert.equal(meets(1.3, ratio), true);
  assert.equal(meets(1.31, ratio), false);
  assert.equal(meets(-5, ms), true);
  assert.equal(meets(NaN, ms), false);
  assert.equal(meets(Infinity, ms), false);
  assert.equal(formatGoal(1.2, ratio), "goal <= 1.3x  MET");
  assert.equal(formatGoal(4.97, two), "goal <= 2.0x  MISSED");
  assert.equal(formatGoal(61.3, megabytes), "goal <= 40 MB  MISSED");
  const floor = { limit: 0.9, unit: "x", atLeast: true } as const;
  assert.equal(meets(0.9, floor), true);
  assert.equal(meets(0.89, floor), false);
  assert.equal(meets(NaN, floor), false);
  assert.equal(formatGoal(0.95, floor), "goal >= 0.9x  MET");
  assert.equal(formatGoal(0.46, floor), "goal >= 0.9x  MISSED");
  assert.equal(formatGoal(12, ms), "goal <= 40 ms  MET");
  assert.equal(formatGoal(NaN, ms), "goal <= 40 ms  not measured");
});

Deno.test("formatSummary: each figure in its goal's unit, with the goal and the verdict", () => {
  const ratio = { limit: 2.5, unit: "x" } as const;
  const ms = { limit: 40, unit: " ms" } as const;
  assert.equal(formatFigure(2.345, ratio), "2.35x");
  assert.equal(formatFigure(31, ms), "31.0 ms");
  assert.equal(formatFigure(NaN, ms), "-");
  assert.deepEqual(
    formatSummary([
      { label: "list", value: 2.1, goal: ratio, note: "median of 10 pairs" },
      { label: "serve warm", value: 61.25, goal: ms },
      { label: "rss", value: NaN, goal: ms, note: "needs root" },
    ]),
    [
      "figure        measured  goal",
      "list             2.10x  goal <= 2.5x  MET  (median of 10 pairs)",
      "serve warm     61.3 ms  goal <= 40 ms  MISSED",
      "rss                  -  goal <= 40 ms  not measured  (needs root)",
    ],
  );
});

Deno.test("formatRow: first cell left-aligned, the others right-aligned, no trailing space", () => {
  assert.equal(formatRow(["a", "1.0", "x"], [4, 5, 3]), "a       1.0    x");
  assert.equal(formatRow(["label", ""], [8, 4]), "label");
  assert.equal(formatRow(["longer than", "2"], [4, 2]), "longer than   2");
});

Deno.test("serveOverhead: the median of the paired differences", () => {
  const start = { runtime: "youki", floor: [100, 120, 90], serve: [150, 150, 200] };
  assert.equal(serveOverhead(start), 50);
  assert.ok(Number.isNaN(serveOverhead({ runtime: "youki", floor: [], serve: [] })));
});

const LOG = [
  "DEBUG RS - deno::worker:229 - main_module file:///r/src/main.ts",
  "DEBUG RS - deno::module_loader:835 - V8 code cache hit for ES module: file:///r/src/main.ts, [1]",
  "DEBUG RS - deno::module_loader:835 - V8 code cache hit for ES module: file:///r/src/cli/mod.ts, [2]",
  "DEBUG RS - deno::module_loader:1821 - Updating V8 code cache for ES module: file:///r/src/registry/mod.ts, [3]",
  "DEBUG RS - deno::module_loader:835 - V8 code cache hit for ES module: file:///r/node_modules/.deno/@scope+lib@1.0.0/node_modules/@scope/lib/index.js, [4]",
  "DEBUG RS - deno::module_loader:835 - V8 code cache hit for ES module: file:///r/node_modules/.deno/dep@2.0.0/node_modules/dep/index.js, [5]",
  "DEBUG RS - deno::module_loader:835 - V8 code cache hit for ES module: file:///r/src/cli/mod.ts, [2]",
  "DEBUG RS - deno_resolver:336 - resolving in npm package: specifier=node:util referrer=file:///r/node_modules/.deno/dep@2.0.0/node_modules/dep/index.js mode=Import kind=Exec",
  "DEBUG RS - deno_resolver:336 - resolving in npm package: specifier=./lib.js referrer=file:///r/x.js mode=Import kind=Exec",
  "DEBUG RS - deno_resolver:336 - resolving in npm package: specifier=node:path referrer=file:///r/x.js mode=Import kind=Exec",
  "DEBUG RS - deno_resolver:336 - resolving in npm package: specifier=node:util referrer=file:///r/y.js mode=Import kind=Exec",
].join("\n");

Deno.test("loadedModules: each compiled ES module once, in load order", () => {
  assert.deepEqual(loadedModules(LOG), [
    "file:///r/src/main.ts",
    "file:///r/src/cli/mod.ts",
    "file:///r/src/registry/mod.ts",
    "file:///r/node_modules/.deno/@scope+lib@1.0.0/node_modules/@scope/lib/index.js",
    "file:///r/node_modules/.deno/dep@2.0.0/node_modules/dep/index.js",
  ]);
  assert.deepEqual(loadedModules("no modules here"), []);
});

Deno.test("npmBuiltinRequests: the node: modules npm packages asked for, sorted, once", () => {
  assert.deepEqual(npmBuiltinRequests(LOG), ["node:path", "node:util"]);
});

Deno.test("npmPackageName: plain, scoped, with version and subpath", () => {
  assert.equal(npmPackageName("npm:zod@4.6.7"), "zod");
  assert.equal(npmPackageName("npm:zod@4.6.7/mini"), "zod");
  assert.equal(npmPackageName("npm:/zod@4.6.7/mini"), "zod");
  assert.equal(
    npmPackageName("npm:@commander-js/extra-typings@15.1.0"),
    "@commander-js/extra-typings",
  );
  assert.equal(npmPackageName("npm:yaml"), "yaml");
  assert.equal(npmPackageName("node:path"), undefined);
});

Deno.test("profileModules: folders, loaded packages, and the imports of loaded own files", () => {
  const src = "/r/src";
  const url = (path: string) => pathToFileURL(path).href;
  const profile = profileModules(
    loadedModules(LOG),
    src,
    {
      modules: [
        {
          specifier: url("/r/src/main.ts"),
          dependencies: [{ code: { specifier: url("/r/src/cli/mod.ts") }, isDynamic: true }],
        },
        {
          specifier: url("/r/src/cli/mod.ts"),
          dependencies: [
            { code: { specifier: "npm:@scope/lib@1.0.0" } },
            { code: { specifier: "npm:yaml@2.9.1" }, isDynamic: true },
            { code: { specifier: "node:path" } },
            { code: { specifier: "node:http2" }, isDynamic: true },
          ],
        },
        {
          specifier: url("/r/src/registry/mod.ts"),
          dependencies: [{ code: { specifier: "node:fs" } }],
        },
        // Not loaded: its imports do not count.
        {
          specifier: url("/r/src/server/mod.ts"),
          dependencies: [{ code: { specifier: "node:zlib" } }],
        },
      ],
      packages: [
        {
          name: "@scope/lib",
          version: "1.0.0",
          localPath: "/r/node_modules/.deno/@scope+lib@1.0.0/node_modules/@scope/lib",
        },
        {
          name: "dep",
          version: "2.0.0",
          localPath: "/r/node_modules/.deno/dep@2.0.0/node_modules/dep",
        },
        {
          name: "yaml",
          version: "2.9.1",
          localPath: "/r/node_modules/.deno/yaml@2.9.1/node_modules/yaml",
        },
        { name: "typesonly", version: "1.0.0" },
      ],
    },
    ["node:path", "node:util"],
  );
  assert.deepEqual([...profile.folders], [
    [".", [url("/r/src/main.ts")]],
    ["cli", [url("/r/src/cli/mod.ts")]],
    ["registry", [url("/r/src/registry/mod.ts")]],
  ]);
  assert.deepEqual(profile.npmImports, ["npm:@scope/lib@1.0.0"], "yaml was not loaded");
  assert.deepEqual(profile.npmPackages, ["@scope/lib@1.0.0", "dep@2.0.0"]);
  assert.deepEqual(profile.nodeImports, ["node:fs", "node:path"], "lazy node:http2 not counted");
  assert.deepEqual(profile.npmNodeImports, ["node:util"], "node:path is already the own files'");
});

Deno.test("packageOf: the package of a bare specifier", () => {
  assert.equal(packageOf("zod/mini"), "zod");
  assert.equal(packageOf("zod"), "zod");
  assert.equal(packageOf("@commander-js/extra-typings"), "@commander-js/extra-typings");
  assert.equal(packageOf("@sinclair/typebox/value"), "@sinclair/typebox");
});

Deno.test("pinnedSpecifier: node: and npm: as they are, packages at their version", () => {
  const versions = { "zod": "4.6.7", "@sinclair/typebox": "0.34.52" };
  assert.equal(pinnedSpecifier("node:path", versions), "node:path");
  assert.equal(pinnedSpecifier("npm:yaml@2.9.1", versions), "npm:yaml@2.9.1");
  assert.equal(pinnedSpecifier("zod", versions), "npm:zod@4.6.7");
  assert.equal(pinnedSpecifier("zod/mini", versions), "npm:zod@4.6.7/mini");
  assert.equal(
    pinnedSpecifier("@sinclair/typebox/value", versions),
    "npm:@sinclair/typebox@0.34.52/value",
  );
  assert.equal(pinnedSpecifier("valibot", versions), undefined);
});

Deno.test("pinnedScript: every bare import pinned, the rest of the script untouched", () => {
  const versions = { "@sinclair/typebox": "0.34.52", "mri": "1.2.0" };
  assert.equal(
    pinnedScript(
      'import { Type } from "@sinclair/typebox"; import { Value } from "@sinclair/typebox/value";\n' +
        'import { join } from "node:path";\nconsole.log("from \\"mri\\"", Type, Value, join);',
      versions,
    ),
    'import { Type } from "npm:@sinclair/typebox@0.34.52"; ' +
      'import { Value } from "npm:@sinclair/typebox@0.34.52/value";\n' +
      'import { join } from "node:path";\nconsole.log("from \\"mri\\"", Type, Value, join);',
  );
  assert.equal(
    pinnedScript('import mri from "mri/lib/index.mjs";', versions),
    'import mri from "npm:mri@1.2.0/lib/index.mjs";',
  );
  assert.equal(pinnedScript('import x from "unpinned";', versions), undefined);
});

Deno.test("IMPORT_CANDIDATES: each npm package pinned exactly, each script imports its own", () => {
  for (const candidate of IMPORT_CANDIDATES) {
    const script = pinnedScript(candidate.script);
    assert.ok(script !== undefined, `${candidate.specifier} has a version`);
    const specifier = pinnedSpecifier(candidate.specifier)!;
    assert.ok(script.includes(`from "${specifier}"`), `${candidate.specifier}'s script`);
    if (!specifier.startsWith("node:")) {
      assert.match(PINNED_VERSIONS[packageOf(candidate.specifier)]!, /^\d+\.\d+\.\d+$/);
    }
  }
  const packages = new Set(IMPORT_CANDIDATES.map((c) => packageOf(c.specifier)));
  for (const name of Object.keys(PINNED_VERSIONS)) assert.ok(packages.has(name), name);
});

Deno.test("verdict: used only for the package chosen for the role", () => {
  assert.equal(verdict({ role: "schema", specifier: "valibot" }), "used");
  assert.equal(verdict({ role: "schema", specifier: "zod/mini" }), "rejected");
  assert.equal(verdict({ role: "YAML", specifier: "yaml" }), "rejected", "own code writes YAML");
  assert.equal(verdict({ role: "path", specifier: "node:path" }), "rejected");
  for (const [role, chosen] of Object.entries(CHOSEN)) {
    const used = IMPORT_CANDIDATES.filter((c) => c.role === role && verdict(c) === "used");
    assert.equal(used.length, chosen.package === undefined ? 0 : 1, role);
  }
});

Deno.test("npmDependencies: npm mappings of deno.json, without @types/ and folder mappings", () => {
  assert.deepEqual(
    npmDependencies({
      "yaml": "npm:yaml@2.9.1",
      "@types/terminal-kit": "npm:@types/terminal-kit@2.5.7",
      "@scope/lib": "npm:@scope/lib@1.0.0",
      "lib/": "npm:/lib@1.0.0/",
      "local": "./src/local.ts",
    }),
    [
      { name: "yaml", specifier: "npm:yaml@2.9.1" },
      { name: "@scope/lib", specifier: "npm:@scope/lib@1.0.0" },
    ],
  );
});

Deno.test("failureReason: the error: line, else the last line, shortened", () => {
  const log = "DEBUG RS - x\nDownload https://registry.npmjs.org/js-yaml\n" +
    "\x1b[31merror\x1b[0m: Could not find npm package 'js-yaml' matching '9.9.9'.\n" +
    "    at file:///t/c.ts:1:22\n";
  assert.equal(failureReason(log), "Could not find npm package 'js-yaml' matching '9.9.9'.");
  assert.equal(failureReason("a\n  last line  \n\n"), "last line");
  assert.equal(failureReason(""), "no output");
  assert.equal(failureReason("error: " + "x".repeat(50), 10), "xxxxxxx...");
});

Deno.test("loadsNodeLayer: a node: module or a Node internal among the loaded modules", () => {
  const line = (url: string) =>
    `DEBUG RS - deno::module_loader:835 - V8 code cache hit for ES module: ${url}, [1]`;
  assert.equal(loadsNodeLayer(line("file:///d/valibot/1.5.0/dist/index.mjs")), false);
  assert.equal(loadsNodeLayer(line("node:process")), true);
  assert.equal(loadsNodeLayer(line("ext:deno_node/path/mod.ts")), true);
  assert.equal(
    loadsNodeLayer("resolving in npm package: specifier=node:module referrer=file:///x.js"),
    false,
    "a request alone is not a load",
  );
});
