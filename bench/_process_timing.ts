/**
 * Whole-process timing shared by the benchmarks.
 *
 * @module
 */

/** One process to time: its `deno` arguments and complete environment. */
export interface TimedCommand {
  args: string[];
  env: Record<string, string>;
}

/** Runs `deno <args>` with exactly `env` and returns its wall time in milliseconds. */
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

/**
 * Times every command `runs` times, interleaved so that background load hits all of them
 * alike, and keeps the fastest run of each: the least disturbed estimate on a shared machine.
 */
export async function fastest(commands: TimedCommand[], runs: number): Promise<number[]> {
  for (const { args, env } of commands) await timeProcess(args, env); // warm the caches
  const best = commands.map(() => Infinity);
  for (let round = 0; round < runs; round++) {
    for (const [i, { args, env }] of commands.entries()) {
      best[i] = Math.min(best[i]!, await timeProcess(args, env));
    }
  }
  return best;
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
