/**
 * `gateway list -o json` as a whole process, with 0, 10, 1,000 and 10,000 entries split over
 * the user and system roots, against a plain `deno run` of an empty script measured in the
 * same run. Reports the time per entry (it must stay flat as the registry grows, i.e. the
 * work is linear) and the registry work for 1,000 entries relative to the runtime's start,
 * next to the floor: scripts that only read the same 1,000 files (`_registry_floor.ts`).
 *
 * @module
 */
import { join, resolve } from "node:path";
import { baseEnv, fastest } from "./_process_timing.ts";
import { FLOOR_LABELS, type FloorKind, writeFloorScripts } from "./_registry_floor.ts";

const MAIN = resolve(import.meta.dirname!, "../src/main.ts");
const SIZES = [0, 10, 1_000, 10_000];
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 10);
/** The registry the floor scripts read. */
const FLOOR_SIZE = 1_000;

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
    const common = baseEnv();
    const commands = [{ args: ["run", "-A", "--quiet", empty], env: common }];
    const envOf = (size: number) => {
      const root = join(base, `n${size}`);
      return {
        ...common,
        HOME: join(root, "home"),
        XDG_CONFIG_HOME: join(root, "config"),
        OPENSHELL_SYSTEM_GATEWAY_DIR: join(root, "system"),
      };
    };
    for (const size of SIZES) {
      const root = join(base, `n${size}`);
      Deno.mkdirSync(join(root, "home"), { recursive: true });
      seed(root, size);
      commands.push({
        args: ["run", "-A", "--quiet", MAIN, "gateway", "list", "-o", "json"],
        env: envOf(size),
      });
    }
    const floors = Object.entries(writeFloorScripts(base)) as [FloorKind, string][];
    for (const [, script] of floors) {
      commands.push({ args: ["run", "-A", "--quiet", script], env: envOf(FLOOR_SIZE) });
    }
    const [baseline, ...times] = await fastest(commands, RUNS);
    const totals = times.slice(0, SIZES.length);
    const floorTotals = times.slice(SIZES.length);
    console.log(
      `baseline: deno run of an empty script  ${baseline!.toFixed(1)} ms (fastest of ${RUNS})`,
    );
    console.log("entries  total ms  x baseline  registry ms  us/entry");
    const zero = totals[0]!;
    const perEntry: Record<number, number> = {};
    for (const [i, size] of SIZES.entries()) {
      const total = totals[i]!;
      const work = total - zero;
      perEntry[size] = size ? (work * 1000) / size : 0;
      console.log(
        `${String(size).padStart(7)}  ${total.toFixed(1).padStart(8)}  ${
          (total / baseline!).toFixed(2).padStart(10)
        }  ${work.toFixed(1).padStart(11)}  ${
          size ? perEntry[size]!.toFixed(1).padStart(8) : "       -"
        }`,
      );
    }
    const growth = perEntry[10_000]! / perEntry[1_000]!;
    const work1k = (perEntry[1_000]! * 1_000) / 1000;
    console.log(`per-entry cost, 10,000 vs 1,000 entries: x${growth.toFixed(2)} (linear: about 1)`);
    console.log(
      `registry work for 1,000 entries / runtime start: ${(work1k / baseline!).toFixed(2)} ` +
        `(${work1k < baseline! ? "below" : "ABOVE"} the target of 1)`,
    );
    // The floor's reading is its time above the empty script: it has no program to start.
    console.log(`floor: the same 1,000 files read by a script that does nothing else`);
    console.log(
      "read with                               total ms  x baseline  reading ms  " +
        "/ runtime start  program's work / this",
    );
    for (const [i, [kind]] of floors.entries()) {
      const total = floorTotals[i]!;
      const reading = total - baseline!;
      console.log(
        `${FLOOR_LABELS[kind].padEnd(38)}  ${total.toFixed(1).padStart(8)}  ${
          (total / baseline!).toFixed(2).padStart(10)
        }  ${reading.toFixed(1).padStart(10)}  ${(reading / baseline!).toFixed(2).padStart(15)}  ${
          (work1k / reading).toFixed(2).padStart(21)
        }`,
      );
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

if (import.meta.main) await registryBench();
