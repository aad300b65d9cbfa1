/**
 * The start-up targets of the program, each as a ratio to an empty `deno run` measured in the
 * same run (every run next to an empty one, alternating which goes first; the median of the
 * pairs' ratios over `BENCH_RUNS` pairs): `--version` <= 1.3x; `--help`, `gateway list` and
 * `gateway list -o json` with 20 gateways, and `status -o json` with none, <= 2.0x each;
 * `gateway list` and `gateway list -o json` with 1,000 gateways <= 2.5x each; peak
 * RSS of `gateway list` <= 40 MB; `serve`'s warm start to healthy within 40 ms of the bare
 * runtime floor (root and youki only). Each figure is printed with its goal and whether it is
 * met; each missed one is followed by the modules that command loads and what they cost. Last,
 * the import cost of every library candidate, each pinned to an exact version and run outside
 * the project, and whether the program uses it.
 * Only the program is run (`deno run src/main.ts`): it works on any version of the code.
 *
 * @module
 */
import { join, resolve } from "node:path";
import {
  CHOSEN,
  failureReason,
  IMPORT_CANDIDATES,
  npmDependencies,
  packageOf,
  pinnedScript,
  pinnedSpecifier,
  verdict,
} from "./_import_candidates.ts";
import {
  debugLogOf,
  debugRun,
  loadedModules,
  loadsNodeLayer,
  type ModuleProfile,
  npmBuiltinRequests,
  profileModules,
  readModuleGraph,
} from "./_module_profile.ts";
import {
  benchRuns,
  downloadEnv,
  type PairedRuns,
  sandboxEnv,
  type TimedCommand,
  timePaired,
} from "./_process_timing.ts";
import {
  fastestOf,
  formatDeltaMb,
  formatDeltaMs,
  formatGoal,
  formatMb,
  formatMs,
  formatRatio,
  formatRow,
  type Goal,
  type GoalFigure,
  median,
  meets,
  pairedDifference,
  pairedRatio,
} from "./_report.ts";
import { FLOOR_LABELS, type FloorKind, writeFloorScripts } from "./_registry_floor.ts";
import {
  measureServeStart,
  SERVE_START_GOAL,
  serveDebugLog,
  serveOverhead,
  serveStartBlocker,
} from "./_serve_start.ts";

const REPO = resolve(import.meta.dirname!, "..");
const SRC = join(REPO, "src");
const MAIN = join(SRC, "main.ts");
const CONFIG = join(REPO, "deno.json");
const RUNS = benchRuns(10);
/** The import profiles and candidates time many scripts: half as many runs each, at least 3. */
const PROFILE_RUNS = Math.min(RUNS, Math.max(3, Math.ceil(RUNS / 2)));
const GATEWAYS = 20;
const MANY_GATEWAYS = 1_000;

const RATIO_2: Goal = { limit: 2.0, unit: "x" };
const MANY_GOAL: Goal = { limit: 2.5, unit: "x" };
const RSS_GOAL: Goal = { limit: 40, unit: " MB" };

/** One timed command of the program, in which registry, against which goal. */
interface Target {
  label: string;
  argv: string[];
  registry: "empty" | "twenty" | "thousand";
  goal: Goal;
}

const TARGETS: readonly Target[] = [
  { label: "--version", argv: ["--version"], registry: "empty", goal: { limit: 1.3, unit: "x" } },
  { label: "--help", argv: ["--help"], registry: "empty", goal: RATIO_2 },
  {
    label: `gateway list (${GATEWAYS} gateways)`,
    argv: ["gateway", "list"],
    registry: "twenty",
    goal: RATIO_2,
  },
  {
    label: `gateway list -o json (${GATEWAYS})`,
    argv: ["gateway", "list", "-o", "json"],
    registry: "twenty",
    goal: RATIO_2,
  },
  {
    label: "gateway list (1,000 gateways)",
    argv: ["gateway", "list"],
    registry: "thousand",
    goal: MANY_GOAL,
  },
  {
    label: "gateway list -o json (1,000)",
    argv: ["gateway", "list", "-o", "json"],
    registry: "thousand",
    goal: MANY_GOAL,
  },
  {
    label: "status -o json (no gateway)",
    argv: ["status", "-o", "json"],
    registry: "empty",
    goal: RATIO_2,
  },
];

/** `deno run` of a file with the project's config (its import map and node_modules). */
function denoRun(file: string, ...args: string[]): string[] {
  return ["run", "-A", "--quiet", `--config=${CONFIG}`, file, ...args];
}

/** Registers `count` gateways, three in four in the user registry and the rest system-wide. */
function registerGateways(env: Record<string, string>, count: number): void {
  for (let i = 1; i <= count; i++) {
    const name = `gw-${String(i).padStart(4, "0")}`;
    const root = i % 4 === 0
      ? env.OPENSHELL_SYSTEM_GATEWAY_DIR!
      : join(env.XDG_CONFIG_HOME!, "openshell");
    const dir = join(root, "gateways", name);
    Deno.mkdirSync(dir, { recursive: true });
    const metadata = {
      name,
      gateway_endpoint: `http://127.0.0.1:${8080 + i}`,
      is_remote: false,
      gateway_port: 8080 + i,
      auth_mode: "plaintext",
    };
    Deno.writeTextFileSync(join(dir, "metadata.json"), JSON.stringify(metadata, null, 2));
  }
}

/** A command's paired runs summed up; NaN throughout when it failed. */
function summary(runs: PairedRuns) {
  if ("error" in runs) return { fastest: NaN, median: NaN, ratio: NaN, above: NaN };
  return {
    fastest: fastestOf(runs.times),
    median: median(runs.times),
    ratio: pairedRatio(runs.times, runs.baseline),
    above: pairedDifference(runs.times, runs.baseline),
  };
}

/** Every baseline run of a batch, pooled. */
function baselineRuns(results: readonly PairedRuns[]): number[] {
  return results.flatMap((runs) => "error" in runs ? [] : runs.baseline);
}

/** The peak RSS in KiB of `deno <args>`, as `/usr/bin/time -f %M` reports it. */
async function peakRssKiB(command: TimedCommand, file: string): Promise<number> {
  const output = await new Deno.Command("/usr/bin/time", {
    args: ["-f", "%M", "-o", file, Deno.execPath(), ...command.args],
    env: command.env,
    clearEnv: true,
    ...(command.cwd === undefined ? {} : { cwd: command.cwd }),
    stdout: "null",
    stderr: "null",
  }).output();
  if (!output.success) return NaN;
  return Number((await Deno.readTextFile(file)).trim().split("\n").at(-1));
}

const scriptFiles = new Map<string, string>();

/** Writes a script importing `specifiers` (in order), once per content; returns its path. */
function importScript(dir: string, specifiers: readonly string[]): string {
  const text = specifiers.map((s) => `import ${JSON.stringify(s)};\n`).join("");
  let path = scriptFiles.get(text);
  if (path === undefined) {
    path = join(dir, `imports-${scriptFiles.size}.ts`);
    Deno.writeTextFileSync(path, text);
    scriptFiles.set(text, path);
  }
  return path;
}

/** One batch of import scripts (and whole commands), each run paired with the empty script. */
interface Batch {
  /** The empty script's median run. */
  empty: number;
  /** Script → the median of its runs' differences to their paired empty runs. */
  costs: Map<string, number>;
  /** Each command's median and median difference to its paired empty runs. */
  commands: { median: number; above: number }[];
}

/** Times `commands` and import scripts, each run next to a run of the empty script. */
async function timeBatch(
  scripts: readonly string[],
  empty: TimedCommand,
  commands: readonly TimedCommand[],
  runs: number,
): Promise<Batch> {
  const unique = [...new Set(scripts)];
  const results = await timePaired(empty, [
    ...commands,
    ...unique.map((script) => ({ ...empty, args: denoRun(script) })),
  ], runs);
  return {
    empty: median(baselineRuns(results)),
    costs: new Map(
      unique.map((script, i) => [script, summary(results[commands.length + i]!).above]),
    ),
    commands: commands.map((_, i) => summary(results[i]!)),
  };
}

/** The parts of a command's import profile: cumulative steps and each part alone. */
interface ProfilePlan {
  /** What was measured, and what is left once the imports are counted. */
  label: string;
  rest: string;
  profile: ModuleProfile;
  /** Cumulative scripts: the config alone, + node: imports, + npm imports, + the own files. */
  steps: { label: string; script: string }[];
  /** Each part alone. */
  parts: { label: string; script: string }[];
}

/** The import scripts that break a run's loaded modules down, written into `dir`. */
function planProfile(
  label: string,
  rest: string,
  profile: ModuleProfile,
  dir: string,
): ProfilePlan {
  const ownFiles = [...profile.folders.values()].flat();
  const layers = [
    { label: "the project's deno.json (no import)", specifiers: [] },
    { label: "node: modules the own files import", specifiers: profile.nodeImports },
    { label: "npm packages the own files import", specifiers: profile.npmImports },
    { label: `the own files (${ownFiles.length})`, specifiers: ownFiles },
  ];
  const steps: ProfilePlan["steps"] = [];
  let sofar: string[] = [];
  for (const { label, specifiers } of layers) {
    sofar = [...sofar, ...specifiers];
    steps.push({ label, script: importScript(dir, sofar) });
  }
  const parts = [
    ...profile.nodeImports.map((s) => ({ label: s, script: importScript(dir, [s]) })),
    ...profile.npmImports.map((s) => ({ label: s, script: importScript(dir, [s]) })),
    ...[...profile.folders].map(([folder, files]) => ({
      label: `${folderLabel(folder)} (${files.length} file${files.length === 1 ? "" : "s"})`,
      script: importScript(dir, files),
    })),
  ];
  return { label, rest, profile, steps, parts };
}

/** A folder of the program as a reader finds it: `src/cli/`, or `src/` for the entry. */
function folderLabel(folder: string): string {
  return folder === "." ? "src/" : `src/${folder}/`;
}

/**
 * One missed target's loaded modules and where its time goes, step by step: `above` is the
 * part of its time above an empty `deno run` (a command's run, serve's overhead).
 */
function printProfile(
  plan: ProfilePlan,
  header: string,
  above: number,
  costs: Map<string, number>,
  empty: number,
): void {
  const { profile } = plan;
  const folders = [...profile.folders].map(([f, files]) => `${folderLabel(f)} ${files.length}`);
  console.log(`\n${header}`);
  // No module at all means Deno's debug log no longer reads as `_module_profile.ts` expects.
  console.log(`  own files loaded: ${folders.join(", ") || "none found in Deno's debug log"}`);
  console.log(`  npm packages loaded: ${profile.npmPackages.join(", ") || "none"}`);
  console.log(
    `  node: modules loaded: ${profile.nodeImports.join(", ") || "none"} (by own files)` +
      (profile.npmNodeImports.length ? `; ${profile.npmNodeImports.join(", ")} (by npm)` : ""),
  );
  console.log(
    `  where the time goes (each step adds imports to the one before; medians of ${PROFILE_RUNS} pairs):`,
  );
  const widths = [44, 10];
  console.log(
    `    ${formatRow(["deno run of an empty script (median)", formatMs(empty)], widths)}`,
  );
  let previous = 0;
  for (const step of plan.steps) {
    const cost = costs.get(step.script) ?? NaN;
    console.log(`    ${formatRow([`+ ${step.label}`, formatDeltaMs(cost - previous)], widths)}`);
    if (Number.isFinite(cost)) previous = cost;
  }
  const work = above - previous;
  console.log(`    ${formatRow([`+ ${plan.rest}`, formatDeltaMs(work)], widths)}`);
}

/**
 * The peak RSS of each import script above the empty script's, in KiB: the median of up to
 * three runs each (peak memory hardly varies with load, unlike time).
 */
async function rssAboveEmpty(
  scripts: readonly string[],
  empty: TimedCommand,
  file: string,
): Promise<Map<string, number>> {
  const unique = [...new Set(scripts)];
  const emptyKiB: number[] = [];
  const kib = unique.map((): number[] => []);
  for (let round = 0; round < Math.min(RUNS, 3); round++) {
    emptyKiB.push(await peakRssKiB(empty, file));
    for (const [i, script] of unique.entries()) {
      kib[i]!.push(await peakRssKiB({ ...empty, args: denoRun(script) }, file));
    }
  }
  const floor = median(emptyKiB);
  return new Map(unique.map((script, i) => [script, median(kib[i]!) - floor]));
}

/** Every part any missed target loads, imported alone, costliest first, with its loaders. */
function printParts(
  plans: readonly ProfilePlan[],
  costs: Map<string, number>,
  rss: Map<string, number> | undefined,
): void {
  const parts = new Map<string, { label: string; script: string; cost: number; by: number[] }>();
  for (const [i, plan] of plans.entries()) {
    for (const part of plan.parts) {
      const key = `${part.label} ${part.script}`;
      const entry = parts.get(key) ??
        { label: part.label, script: part.script, cost: costs.get(part.script) ?? NaN, by: [] };
      entry.by.push(i + 1);
      parts.set(key, entry);
    }
  }
  console.log(
    "\neach part imported alone (with what it imports), paired median above empty" +
      (rss === undefined ? "" : ", and its peak RSS above empty's") + "; loaded by [n]:",
  );
  const widths = [44, 10, ...(rss === undefined ? [] : [9])];
  const sorted = [...parts.values()].sort((a, b) => (b.cost || 0) - (a.cost || 0));
  for (const part of sorted) {
    const by = part.by.length === plans.length ? "all" : part.by.join(",");
    const memory = rss === undefined ? [] : [formatDeltaMb(rss.get(part.script) ?? NaN)];
    console.log(`  ${formatRow([part.label, formatDeltaMs(part.cost), ...memory], widths)}  ${by}`);
  }
}

/**
 * The floor under the 1,000-gateway targets: each floor script's paired ratio, the program's
 * own start (listing no gateway), and the least `gateway list` of 1,000 gateways can take:
 * the checked floor plus the program's start above empty.
 */
function printFloor(kinds: readonly FloorKind[], runs: readonly PairedRuns[]): void {
  const ratios = runs.map((r) => summary(r).ratio);
  const start = ratios.at(-1)!;
  console.log(
    `floor under the ${MANY_GATEWAYS.toLocaleString("en")}-gateway targets (median of pairs):`,
  );
  for (const [i, kind] of kinds.entries()) {
    console.log(
      `  only reading their files, ${FLOOR_LABELS[kind]}: ${formatRatio(ratios[i]!)} empty`,
    );
  }
  console.log(
    `  the program's own start (gateway list of no gateway): ${formatRatio(start)} empty`,
  );
  const checked = ratios[kinds.indexOf("checked")]!;
  const least = checked + start - 1;
  console.log(
    `  least a list of ${MANY_GATEWAYS.toLocaleString("en")} can take, the two together: ` +
      `${formatRatio(least)} empty  ${formatGoal(least, MANY_GOAL)}`,
  );
}

/** `deno run` of a file outside the project: no config, so npm packages come from DENO_DIR. */
function denoRunAlone(file: string): string[] {
  return ["run", "-A", "--quiet", "--no-config", file];
}

/** One row of the candidate table, and its script once written. */
interface CandidateRow {
  role: string;
  specifier: string;
  verdict: string;
  /** The script's text, or why there is none. */
  script: string | { reason: string };
}

/**
 * Every library candidate at its pinned version (and every other npm package deno.json maps,
 * imported alone), each script run outside the project: one untimed run with Deno's debug log
 * (it downloads the package and tells whether the Node layer loads), then paired runs.
 */
async function candidateCosts(emptyFile: string, env: Record<string, string>, dir: string) {
  const imports = (JSON.parse(Deno.readTextFileSync(CONFIG)) as {
    imports?: Record<string, string>;
  }).imports ?? {};
  const listed = new Set(IMPORT_CANDIDATES.map((c) => packageOf(c.specifier)));
  const rows: CandidateRow[] = [
    ...IMPORT_CANDIDATES.map((candidate) => ({
      role: candidate.role,
      specifier: pinnedSpecifier(candidate.specifier) ?? candidate.specifier,
      verdict: verdict(candidate),
      script: pinnedScript(candidate.script) ?? { reason: "no pinned version" },
    })),
    ...npmDependencies(imports).filter(({ name }) => !listed.has(name)).map(({ specifier }) => ({
      role: "dependency",
      specifier,
      verdict: "used",
      script: `import ${JSON.stringify(specifier)};\n`,
    })),
  ];
  const measured: { row: CandidateRow; command: TimedCommand; nodeLayer: boolean }[] = [];
  const reasons = new Map<CandidateRow, string>();
  for (const [i, row] of rows.entries()) {
    if (typeof row.script !== "string") {
      reasons.set(row, row.script.reason);
      continue;
    }
    const file = join(dir, `candidate-${i}.ts`);
    Deno.writeTextFileSync(file, row.script);
    const command = { args: denoRunAlone(file), env, cwd: dir };
    const { success, log } = await debugRun(command.args, env, dir);
    if (success) measured.push({ row, command, nodeLayer: loadsNodeLayer(log) });
    else reasons.set(row, failureReason(log));
  }
  const baseline = { args: denoRunAlone(emptyFile), env, cwd: dir };
  const results = await timePaired(baseline, measured.map((m) => m.command), PROFILE_RUNS);
  const costs = new Map(measured.map(({ row, nodeLayer }, i) => {
    const runs = results[i]!;
    if ("error" in runs) reasons.set(row, failureReason(runs.error));
    return [row, { above: summary(runs).above, nodeLayer }];
  }));
  console.log(
    `\n### import cost of each library candidate (pinned, outside the project, one real call; ` +
      `median of ${PROFILE_RUNS} paired runs above an empty deno run)`,
  );
  // The role and the import make one left-aligned cell.
  const what = (role: string, specifier: string) => `${role.padEnd(10)}  ${specifier}`;
  const widths = [52, 9, 10, 8];
  console.log(formatRow([what("role", "import"), "added", "Node layer", "program"], widths));
  for (const row of rows) {
    const reason = reasons.get(row);
    const cost = costs.get(row);
    if (reason !== undefined || cost === undefined) {
      console.log(`${what(row.role, row.specifier).padEnd(widths[0]!)}  not measured: ${reason}`);
      continue;
    }
    const layer = cost.nodeLayer ? "yes" : "no";
    console.log(
      formatRow(
        [what(row.role, row.specifier), formatDeltaMs(cost.above), layer, row.verdict],
        widths,
      ),
    );
  }
  const chosen = Object.entries(CHOSEN).map(([role, { what }]) => `${role}: ${what}`);
  console.log(`the program uses ${chosen.join("; ")}`);
}

/** Runs the start-up benchmark, prints each figure with its goal and returns those figures. */
export default async function startupBench(): Promise<GoalFigure[]> {
  const figures: GoalFigure[] = [];
  const base = await Deno.makeTempDir({ prefix: "openshell-bench-startup-" });
  try {
    const emptyFile = join(base, "empty.ts");
    Deno.writeTextFileSync(emptyFile, "");
    const scripts = join(base, "scripts");
    Deno.mkdirSync(scripts);
    const envs = {
      empty: sandboxEnv(join(base, "empty")),
      twenty: sandboxEnv(join(base, "twenty")),
      thousand: sandboxEnv(join(base, "thousand")),
    };
    registerGateways(envs.twenty, GATEWAYS);
    registerGateways(envs.thousand, MANY_GATEWAYS);
    const empty: TimedCommand = {
      args: ["run", "-A", "--quiet", emptyFile],
      env: envs.empty,
      cwd: base,
    };
    const withConfig: TimedCommand = { ...empty, args: denoRun(emptyFile) };
    const commands = TARGETS.map((target) => ({
      args: denoRun(MAIN, ...target.argv),
      env: envs[target.registry],
      cwd: base,
    }));

    // The floor under the 1,000-gateway targets: scripts that only read those files, and the
    // program's own start, listing no gateway.
    const floors = Object.entries(writeFloorScripts(base)) as [FloorKind, string][];
    const floorCommands: TimedCommand[] = [
      ...floors.map(([, script]) => ({
        args: ["run", "-A", "--quiet", script],
        env: envs.thousand,
        cwd: base,
      })),
      { args: denoRun(MAIN, "gateway", "list"), env: envs.empty, cwd: base },
    ];
    const [configRuns, ...otherRuns] = await timePaired(
      empty,
      [withConfig, ...commands, ...floorCommands],
      RUNS,
    );
    const targetRuns = otherRuns.slice(0, commands.length);
    const floorRuns = otherRuns.slice(commands.length);
    const emptyRuns = baselineRuns([configRuns!, ...targetRuns]);
    console.log(
      `empty deno run (the baseline): fastest ${formatMs(fastestOf(emptyRuns))}, median ${
        formatMs(median(emptyRuns))
      }; each command ran ${RUNS} times, each run next to an empty one`,
    );
    const config = summary(configRuns!);
    console.log(
      `empty deno run with the project's deno.json (as the commands run): median ${
        formatMs(config.median)
      }, ${formatRatio(config.ratio)} empty`,
    );
    const widths = [33, 10, 10, 8, 22];
    console.log(
      formatRow(["command", "fastest", "median", "x empty", "goal (median of pairs)"], widths),
    );
    const missed: { target: Target; command: TimedCommand }[] = [];
    for (const [i, target] of TARGETS.entries()) {
      const runs = targetRuns[i]!;
      if ("error" in runs) {
        console.log(`${target.label.padEnd(widths[0]!)}  failed: ${runs.error}`);
        figures.push({ label: target.label, value: NaN, goal: target.goal, note: "failed" });
        continue;
      }
      const { fastest, median: middle, ratio } = summary(runs);
      figures.push({
        label: `${target.label} vs empty deno run`,
        value: ratio,
        goal: target.goal,
        note: `median of ${runs.times.length} pairs`,
      });
      console.log(formatRow([
        target.label,
        formatMs(fastest),
        formatMs(middle),
        formatRatio(ratio),
        formatGoal(ratio, target.goal),
      ], widths));
      if (!meets(ratio, target.goal)) missed.push({ target, command: commands[i]! });
    }

    printFloor(floors.map(([kind]) => kind), floorRuns);

    // Peak memory: /usr/bin/time's maximum resident set size, median of alternating runs.
    const list = TARGETS.findIndex((t) => t.argv.join(" ") === "gateway list");
    let rssMissed = false;
    if (await Deno.stat("/usr/bin/time").then(() => true, () => false)) {
      const rss: { empty: number[]; list: number[] } = { empty: [], list: [] };
      const out = join(base, "rss");
      for (let round = 0; round < Math.min(RUNS, 5); round++) {
        rss.empty.push(await peakRssKiB(empty, out));
        rss.list.push(await peakRssKiB(commands[list]!, out));
      }
      const listKiB = median(rss.list);
      console.log(
        `peak RSS of ${TARGETS[list]!.label}: ${formatMb(listKiB)}, empty deno run ${
          formatMb(median(rss.empty))
        } (median of ${rss.list.length}, /usr/bin/time -f %M)  ${
          formatGoal(listKiB / 1024, RSS_GOAL)
        }`,
      );
      rssMissed = !meets(listKiB / 1024, RSS_GOAL);
      figures.push({
        label: `peak RSS of ${TARGETS[list]!.label}`,
        value: listKiB / 1024,
        goal: RSS_GOAL,
        note: `median of ${rss.list.length}`,
      });
    } else {
      console.log("peak RSS not measured: /usr/bin/time is missing (Debian package `time`)");
    }
    if (rssMissed && !missed.some(({ target }) => target === TARGETS[list])) {
      missed.push({ target: TARGETS[list]!, command: commands[list]! });
    }

    // serve: warm start against the bare runtime floor, root only.
    let serveMissed: { overhead: number; log: string } | undefined;
    const blocker = await serveStartBlocker();
    const warmLabel = "serve warm start to healthy, above bare youki run";
    if (blocker !== undefined) {
      console.log(`serve warm start: not measured: ${blocker}`);
      figures.push({ label: warmLabel, value: NaN, goal: SERVE_START_GOAL, note: blocker });
    } else {
      const scratch = await Deno.makeTempDir({ prefix: "openshell-bench-serve-" });
      try {
        await Deno.chmod(scratch, 0o755);
        const serveEnv = sandboxEnv(scratch, 0o755);
        const start = await measureServeStart(serveEnv, scratch, RUNS);
        const overhead = serveOverhead(start);
        console.log(
          `serve warm start to healthy: ${formatMs(median(start.serve))}, bare \`${
            start.runtime.split("/").at(-1)
          } run\` of its bundle ${formatMs(median(start.floor))} (medians of ${RUNS} alternating ` +
            `rounds); overhead ${formatDeltaMs(overhead)}  ${
              formatGoal(overhead, SERVE_START_GOAL)
            }`,
        );
        figures.push({
          label: warmLabel,
          value: overhead,
          goal: SERVE_START_GOAL,
          note: `median of ${RUNS} paired rounds`,
        });
        if (!meets(overhead, SERVE_START_GOAL)) {
          serveMissed = { overhead, log: await serveDebugLog(serveEnv) };
        }
      } catch (error) {
        console.log(`serve warm start: failed: ${error instanceof Error ? error.message : error}`);
        figures.push({ label: warmLabel, value: NaN, goal: SERVE_START_GOAL, note: "failed" });
      } finally {
        await Deno.remove(scratch, { recursive: true }).catch(() => {});
      }
    }

    if (missed.length > 0 || serveMissed !== undefined) {
      console.log("\n### import profile of each missed target");
      const graph = await readModuleGraph(MAIN, CONFIG);
      const plans: ProfilePlan[] = [];
      for (const { target, command } of missed) {
        const log = await debugLogOf(command.args, command.env, base);
        const profile = profileModules(loadedModules(log), SRC, graph, npmBuiltinRequests(log));
        plans.push(planProfile(target.label, "the command's own work", profile, scripts));
      }
      if (serveMissed !== undefined) {
        const { log } = serveMissed;
        const profile = profileModules(loadedModules(log), SRC, graph, npmBuiltinRequests(log));
        plans.push(
          planProfile(
            "serve warm start, overhead above the floor",
            "the rest: serve's own launch steps",
            profile,
            scripts,
          ),
        );
      }
      // The commands run again in the same batch as their imports, so every step is measured
      // against the same empty run.
      const batch = await timeBatch(
        plans.flatMap((plan) => [...plan.steps, ...plan.parts].map((s) => s.script)),
        empty,
        missed.map(({ command }) => command),
        PROFILE_RUNS,
      );
      for (const [i, plan] of plans.entries()) {
        const command = batch.commands[i];
        if (command !== undefined) {
          const header = `[${i + 1}] ${plan.label}: median ${formatMs(command.median)}, ` +
            `${formatDeltaMs(command.above)} above empty`;
          printProfile(plan, header, command.above, batch.costs, batch.empty);
        } else if (serveMissed !== undefined) {
          const header = `[${i + 1}] ${plan.label}: ${formatDeltaMs(serveMissed.overhead)}`;
          printProfile(plan, header, serveMissed.overhead - batch.empty, batch.costs, batch.empty);
        }
      }
      // Memory is measured for the parts only when the RSS goal was missed.
      const rss = rssMissed
        ? await rssAboveEmpty(
          plans.flatMap((plan) => plan.parts.map((part) => part.script)),
          empty,
          join(base, "rss"),
        )
        : undefined;
      printParts(plans, batch.costs, rss);
    }

    await candidateCosts(emptyFile, { ...envs.empty, ...downloadEnv() }, scripts);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
  return figures;
}

if (import.meta.main) await startupBench();
