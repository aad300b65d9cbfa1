/**
 * `gateway list -o json` as a whole process, with 0, 10, 1,000 and 10,000 entries split over
 * the user and system roots, against a plain `deno run` of an empty script measured in the
 * same run. Reports the time per entry (it must stay flat as the registry grows, i.e. the
 * work is linear) and the registry work for 1,000 entries relative to the runtime's start.
 *
 * @module
 */
import { join, resolve } from "node:path";

const MAIN = resolve(import.meta.dirname!, "../src/main.ts");
const SIZES = [0, 10, 1_000, 10_000];
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 7);

async function timeProcess(args: string[], env: Record<string, string>): Promise<number> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - started;
  if (!output.success) {
    throw new Error(`${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return elapsed;
}

async function median(args: string[], env: Record<string, string>): Promise<number> {
  await timeProcess(args, env); // warm the module cache and the file system cache
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await timeProcess(args, env));
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

function seed(root: string, count: number): void {
  // Half in each root, with one in ten user names shadowing a system one.
  for (let i = 0; i < count; i++) {
    const user = i % 2 === 0;
    const name = user && i % 20 === 0
      ? `gw-${String(i + 1).padStart(5, "0")}`
      : `gw-${String(i).padStart(5, "0")}`;
    const dir = join(root, user ? "config/openshell" : "system", "gateways", name);
    Deno.mkdirSync(dir, { recursive: true });
    Deno.writeTextFileSync(
      join(dir, "metadata.json"),
      JSON.stringify(
        {
          name,
          gateway_endpoint: `http://10.0.${i >> 8 & 255}.${i & 255}:8080`,
          is_remote: true,
          gateway_port: 8080,
          auth_mode: "plaintext",
        },
        null,
        2,
      ),
    );
  }
}

/** Runs the benchmark and prints a table of results. */
export default async function registryBench(): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "openshell-bench-" });
  try {
    const empty = join(base, "empty.ts");
    Deno.writeTextFileSync(empty, "");
    const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
    const denoDir = Deno.env.get("DENO_DIR");
    const common: Record<string, string> = {
      PATH: path,
      NO_COLOR: "1",
      ...(denoDir ? { DENO_DIR: denoDir } : {}),
    };
    const baseline = await median(["run", "-A", "--quiet", empty], common);
    console.log(
      `baseline: deno run of an empty script  ${baseline.toFixed(1)} ms (median of ${RUNS})`,
    );
    console.log("entries  total ms  x baseline  registry ms  us/entry");
    let zero = 0;
    const perEntry: Record<number, number> = {};
    for (const size of SIZES) {
      const root = join(base, `n${size}`);
      Deno.mkdirSync(join(root, "home"), { recursive: true });
      seed(root, size);
      const env = {
        ...common,
        HOME: join(root, "home"),
        XDG_CONFIG_HOME: join(root, "config"),
        OPENSHELL_SYSTEM_GATEWAY_DIR: join(root, "system"),
      };
      const total = await median(
        ["run", "-A", "--quiet", MAIN, "gateway", "list", "-o", "json"],
        env,
      );
      if (size === 0) zero = total;
      const work = total - zero;
      perEntry[size] = size ? (work * 1000) / size : 0;
      console.log(
        `${String(size).padStart(7)}  ${total.toFixed(1).padStart(8)}  ${
          (total / baseline).toFixed(2).padStart(10)
        }` +
          `  ${work.toFixed(1).padStart(11)}  ${
            size ? perEntry[size]!.toFixed(1).padStart(8) : "       -"
          }`,
      );
    }
    const growth = perEntry[10_000]! / perEntry[1_000]!;
    const work1k = perEntry[1_000]! * 1_000 / 1000;
    console.log(`per-entry cost, 10,000 vs 1,000 entries: x${growth.toFixed(2)} (linear: about 1)`);
    console.log(
      `registry work for 1,000 entries / runtime start: ${(work1k / baseline).toFixed(2)} ` +
        `(${work1k < baseline ? "below" : "ABOVE"} the target of 1)`,
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

if (import.meta.main) await registryBench();
