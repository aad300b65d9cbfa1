/**
 * Runs every benchmark: each `bench/<area>_bench.ts` exports one async function (its default
 * export, or its only exported function) that measures its area, prints ratios against a
 * baseline measured in the same run, and returns the figures it checks against a goal.
 *
 * `deno task bench` runs them all; `deno task bench <area>` only those whose name contains
 * `<area>`. Last comes the summary: every figure with its goal and `MET` or `MISSED`.
 *
 * @module
 */
import { formatSummary, type GoalFigure } from "./_report.ts";

const filter = Deno.args[0] ?? "";
const dir = new URL(".", import.meta.url);
const files = [...Deno.readDirSync(dir)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith("_bench.ts") && name.includes(filter))
  .sort();
const figures: GoalFigure[] = [];
for (const name of files) {
  const module: Record<string, unknown> = await import(new URL(name, dir).href);
  const functions = Object.values(module).filter((value) => typeof value === "function");
  const run = typeof module.default === "function" ? module.default : functions[0];
  if (typeof run !== "function" || (module.default === undefined && functions.length !== 1)) {
    throw new TypeError(`bench/${name} must export one benchmark function`);
  }
  const area = name.replace(/_bench\.ts$/, "");
  console.log(`\n## ${area}`);
  const checked = await run();
  if (Array.isArray(checked)) {
    figures.push(...(checked as GoalFigure[]).map((f) => ({ ...f, label: `${area}: ${f.label}` })));
  }
}
if (figures.length > 0) {
  console.log("\n## goals");
  for (const line of formatSummary(figures)) console.log(line);
}
