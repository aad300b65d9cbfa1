/**
 * Whole-process timing shared by the benchmarks.
 *
 * @module
 */
import { join } from "node:path";

/** One process to time: its `deno` arguments and complete environment. */
export interface TimedCommand {
  args: string[];
  env: Record<string, string>;
  /** Working directory; the caller's when absent. */
  cwd?: string;
}

/** The timed runs of one command, or why it could not run. */
export type Runs = { times: number[] } | { error: string };

/** Runs `deno <args>` with exactly `env` and returns its wall time in milliseconds. */
async function timeProcess({ args, env, cwd }: TimedCommand): Promise<number> {
  const started = performance.now();
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    env,
    clearEnv: true,
    ...(cwd === undefined ? {} : { cwd }),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const elapsed = performance.now() - started;
  if (!output.success) {
    const stderr = new TextDecoder().decode(output.stderr).trim().split("\n").slice(-3);
    throw new Error(`deno ${args.join(" ")} exited ${output.code}: ${stderr.join(" | ")}`);
  }
  return elapsed;
}

/**
 * Times every command `runs` times in alternating order (forward, then backward), so that
 * background load and ordering effects hit all of them alike. Each command first runs once
 * untimed (warming Deno's caches); one that fails then is reported with its error, not timed.
 */
export async function timeRuns(commands: TimedCommand[], runs: number): Promise<Runs[]> {
  const results: Runs[] = [];
  for (const command of commands) {
    try {
      await timeProcess(command);
      results.push({ times: [] });
    } catch (error) {
      results.push({ error: error instanceof Error ? error.message : String(error) });
    }
  }
  const order = [...commands.keys()];
  for (let round = 0; round < runs; round++) {
    for (const i of round % 2 === 0 ? order : [...order].reverse()) {
      const result = results[i]!;
      if ("error" in result) continue;
      try {
        result.times.push(await timeProcess(commands[i]!));
      } catch (error) {
        results[i] = { error: error instanceof Error ? error.message : String(error) };
      }
    }
  }
  return results;
}

/**
 * Times every command `runs` times, interleaved so that background load hits all of them
 * alike, and keeps the fastest run of each: the least disturbed estimate on a shared machine.
 * Throws when a command fails.
 */
export async function fastest(commands: TimedCommand[], runs: number): Promise<number[]> {
  return (await timeRuns(commands, runs)).map((result) => {
    if ("error" in result) throw new Error(result.error);
    return Math.min(...result.times);
  });
}

/** One command's runs, each next to a run of the baseline (same index), or why it failed. */
export type PairedRuns = { times: number[]; baseline: number[] } | { error: string };

/**
 * Times every command `runs` times, each run directly next to a run of `baseline` (which of
 * the two goes first alternates, and so does the order of the commands), so that a load spike
 * hits a pair alike: the pair's ratio or difference stays meaningful on a shared machine.
 * Every process first runs once untimed (warming Deno's caches); a command that fails is
 * reported with its error, not timed.
 */
export async function timePaired(
  baseline: TimedCommand,
  commands: readonly TimedCommand[],
  runs: number,
): Promise<PairedRuns[]> {
  await timeProcess(baseline);
  const results: PairedRuns[] = [];
  for (const command of commands) {
    try {
      await timeProcess(command);
      results.push({ times: [], baseline: [] });
    } catch (error) {
      results.push({ error: error instanceof Error ? error.message : String(error) });
    }
  }
  const order = [...commands.keys()];
  for (let round = 0; round < runs; round++) {
    for (const [place, i] of (round % 2 === 0 ? order : [...order].reverse()).entries()) {
      const result = results[i]!;
      if ("error" in result) continue;
      try {
        if ((round + place) % 2 === 0) {
          result.baseline.push(await timeProcess(baseline));
          result.times.push(await timeProcess(commands[i]!));
        } else {
          result.times.push(await timeProcess(commands[i]!));
          result.baseline.push(await timeProcess(baseline));
        }
      } catch (error) {
        results[i] = { error: error instanceof Error ? error.message : String(error) };
      }
    }
  }
  return results;
}

/** The environment every timed process starts from: PATH, DENO_DIR and no colour. */
export function baseEnv(): Record<string, string> {
  const denoDir = Deno.env.get("DENO_DIR");
  return {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    NO_COLOR: "1",
    ...(denoDir ? { DENO_DIR: denoDir } : {}),
  };
}

/** The variables Deno's downloads read: trusted certificates, proxies, the npm registry. */
const DOWNLOAD_VARIABLES = [
  "DENO_CERT",
  "DENO_TLS_CA_STORE",
  "NODE_EXTRA_CA_CERTS",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "NPM_CONFIG_REGISTRY",
];

/** Those of this process's variables that a process downloading npm packages needs. */
export function downloadEnv(): Record<string, string> {
  return Object.fromEntries(
    DOWNLOAD_VARIABLES.flatMap((name) => {
      const value = Deno.env.get(name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
}

/**
 * Creates HOME, the XDG directories and the system gateway root under `root` and returns the
 * environment pointing at them, so that no run reads or writes this machine's real config.
 */
export function sandboxEnv(root: string, mode = 0o700): Record<string, string> {
  const dirs = {
    HOME: "home",
    XDG_CONFIG_HOME: "config",
    XDG_CACHE_HOME: "cache",
    XDG_STATE_HOME: "state",
    XDG_RUNTIME_DIR: "runtime",
    OPENSHELL_SYSTEM_GATEWAY_DIR: "system",
  };
  const env = baseEnv();
  for (const [variable, name] of Object.entries(dirs)) {
    const path = join(root, name);
    Deno.mkdirSync(path, { recursive: true, mode });
    env[variable] = path;
  }
  return env;
}

/** How often each process runs: `BENCH_RUNS`, else `fallback`. */
export function benchRuns(fallback: number): number {
  const runs = Number(Deno.env.get("BENCH_RUNS") ?? fallback);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new Error(`BENCH_RUNS must be a whole number of at least 1, not ${runs}`);
  }
  return runs;
}
