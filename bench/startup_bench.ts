/**
 * The start-up cost of the common commands (`--version`, `--help`, `gateway list -o json`,
 * `status -o json`) as whole processes, against two baselines measured in the same run: a
 * `deno run` of an empty script (the runtime's own start) and of a script that only imports
 * the command-line library (the least any command can cost). Reports each command's own work
 * above the library import, relative to the runtime's start: loading registry, bundle,
 * runtime or output libraries on paths that do not use them shows up here.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { baseEnv, fastest } from "./_process_timing.ts";

const REPO = resolve(import.meta.dirname!, "..");
const MAIN = join(REPO, "src/main.ts");
const RUNS = Number(Deno.env.get("BENCH_RUNS") ?? 10);

function register(configDir: string, name: string, port: number): void {
  const dir = join(configDir, "openshell", "gateways", name);
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(
    join(dir, "metadata.json"),
    JSON.stringify(
      {
        name,
        gateway_endpoint: `http://127.0.0.1:${port}`,
        is_remote: false,
        gateway_port: port,
        auth_mode: "plaintext",
      },
      null,
      2,
    ),
  );
}

/** Runs the benchmark and prints a table of results. */
export default async function startupBench(): Promise<void> {
  const base = await Deno.makeTempDir({ prefix: "openshell-bench-" });
  try {
    const empty = join(base, "empty.ts");
    Deno.writeTextFileSync(empty, "");
    const library = join(base, "library.ts");
    Deno.writeTextFileSync(library, 'import "@commander-js/extra-typings";\n');
    const common = baseEnv();
    const sandbox = (root: string): Record<string, string> => {
      for (const kind of ["home", "config", "cache", "state", "runtime", "system"]) {
        Deno.mkdirSync(join(root, kind), { recursive: true, mode: 0o700 });
      }
      return {
        ...common,
        HOME: join(root, "home"),
        XDG_CONFIG_HOME: join(root, "config"),
        XDG_CACHE_HOME: join(root, "cache"),
        XDG_STATE_HOME: join(root, "state"),
        XDG_RUNTIME_DIR: join(root, "runtime"),
        OPENSHELL_SYSTEM_GATEWAY_DIR: join(root, "system"),
      };
    };
    const two = sandbox(join(base, "two"));
    register(join(base, "two", "config"), "alpha", 8080);
    register(join(base, "two", "config"), "beta", 8081);
    const none = sandbox(join(base, "none"));

    const run = (file: string, ...args: string[]) => ["run", "-A", "--quiet", file, ...args];
    const cases = [
      { label: "--version", args: run(MAIN, "--version"), env: none },
      { label: "--help", args: run(MAIN, "--help"), env: none },
      {
        label: "gateway list -o json (2 entries)",
        args: run(MAIN, "gateway", "list", "-o", "json"),
        env: two,
      },
      {
        label: "status -o json (none configured)",
        args: run(MAIN, "status", "-o", "json"),
        env: none,
      },
    ];
    const [baseline, floor, ...totals] = await fastest([
      { args: run(empty), env: common },
      {
        args: ["run", "-A", "--quiet", "--config", join(REPO, "deno.json"), library],
        env: common,
      },
      ...cases.map(({ args, env }) => ({ args, env })),
    ], RUNS);
    console.log(
      `baseline: deno run of an empty script  ${baseline!.toFixed(1)} ms (fastest of ${RUNS})`,
    );
    console.log(
      `floor: importing only the command-line library  ${floor!.toFixed(1)} ms ` +
        `(x${(floor! / baseline!).toFixed(2)} baseline)`,
    );
    console.log("command                            total ms  x baseline  above floor / baseline");
    for (const [i, { label }] of cases.entries()) {
      const total = totals[i]!;
      console.log(
        `${label.padEnd(33)}  ${total.toFixed(1).padStart(8)}  ${
          (total / baseline!).toFixed(2).padStart(10)
        }  ${((total - floor!) / baseline!).toFixed(2).padStart(22)}`,
      );
    }
  } finally {
    await Deno.remove(base, { recursive: true });
  }
}

if (import.meta.main) await startupBench();
