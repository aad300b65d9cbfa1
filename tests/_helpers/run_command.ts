/**
 * Runs a program to completion for a test, with exactly the environment given, and hands
 * back its exit code and decoded output.
 *
 * @module
 */

/** What a finished process produced. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@linkcode runCommand}. */
export interface RunCommandOptions {
  /** The child's whole environment: nothing of the test process's is inherited. */
  env: Record<string, string>;
  /** The working directory; the test process's when absent. */
  cwd?: string;
  /** Text written to the child's stdin, which is /dev/null otherwise. */
  stdin?: string;
  /** Kill the child and fail after this long: for commands that must not hang. */
  timeoutMs?: number;
}

/**
 * Runs `argv` (program first) and waits for it, stdout and stderr captured.
 *
 * @example
 * ```ts
 * const result = await runCommand(["sh", "-c", "echo hi"], { env: { PATH: "/usr/bin:/bin" } });
 * result.stdout; // "hi\n"
 * ```
 */
export async function runCommand(
  argv: string[],
  options: RunCommandOptions,
): Promise<CommandResult> {
  const [program, ...args] = argv;
  if (program === undefined) throw new TypeError("Cannot run an empty command line");
  const child = new Deno.Command(program, {
    args,
    env: options.env,
    clearEnv: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  let hung = false;
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, options.timeoutMs);
  const output = await child.output();
  clearTimeout(timer);
  const decoder = new TextDecoder();
  if (hung) {
    throw new Error(
      `${argv.join(" ")} did not finish within ${options.timeoutMs} ms; stderr: ` +
        decoder.decode(output.stderr),
    );
  }
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Whether `program` is found on PATH. */
export async function onPath(program: string): Promise<boolean> {
  const found = await new Deno.Command("sh", {
    args: ["-c", `command -v ${program}`],
    stdout: "null",
  }).output();
  return found.success;
}
