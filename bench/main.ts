/**
 * Runs every benchmark: each `bench/<area>_bench.ts` default-exports an async function that
 * measures its area and prints ratios against a baseline measured in the same run.
 *
 * `deno task bench` runs them all; `deno task bench <area>` only those whose name contains
 * `<area>`.
 *
 * @module
 */
const filter = Deno.args[0] ?? "";
const dir = new URL(".", import.meta.url);
const files = [...Deno.readDirSync(dir)]
  .map((entry) => entry.name)
  .filter((name) => name.endsWith("_bench.ts") && name.includes(filter))
  .sort();
for (const name of files) {
  const bench = await import(new URL(name, dir).href);
  if (typeof bench.default !== "function") {
    throw new TypeError(`bench/${name} must default-export a function`);
  }
  console.log(`\n## ${name.replace(/_bench\.ts$/, "")}`);
  await bench.default();
}
