/**
 * Runs a command the program printed for the user (a hint, a "Stop it with:" line) the way
 * the user would: pasted into a POSIX shell, where `openshell` is this checkout's program.
 * The shell reads the quoting, so a printed command that is not quoted right fails here.
 *
 * @module
 */
import { type CommandResult, runCommand } from "./run_command.ts";
import { sharedCliArgv } from "./shared_checkout.ts";
import { asUser } from "./test_users.ts";

/**
 * The `openshell ...` commands printed in backquotes on `hint:` lines of `stderr`, in order.
 *
 * @example
 * ```ts
 * hintCommands("error: x\nhint: run `openshell gateway list` to see"); // ["openshell gateway list"]
 * ```
 */
export function hintCommands(stderr: string): string[] {
  const lines = stderr.split("\n").filter((line) => line.startsWith("hint: "));
  return lines.flatMap((line) => [...line.matchAll(/`(openshell [^`]*)`/g)].map((m) => m[1]!));
}

/** The one printed command of `stderr` that starts with `start` (`openshell gateway stop`). */
export function printedCommand(stderr: string, start: string): string {
  const found = [...stderr.matchAll(/openshell [^`\n]*/g)].map((m) => m[0].replace(/\)$/, ""))
    .filter((command) => command.startsWith(start));
  if (found.length === 0) throw new Error(`no printed command "${start} ..." in:\n${stderr}`);
  return found[0]!;
}

/** Options for {@linkcode runPrinted}. */
export interface RunPrintedOptions {
  env: Record<string, string>;
  cwd: string;
  /** Run as this user instead of the test process's. */
  user?: string;
  /** Text for the `<placeholders>` the user fills in, by placeholder (`<endpoint>`). */
  fill?: Record<string, string>;
}

/**
 * Runs `command` (as printed, `openshell` first) in `sh`, with `openshell` this checkout's
 * program, after filling in its placeholders.
 */
export async function runPrinted(
  command: string,
  options: RunPrintedOptions,
): Promise<CommandResult> {
  let line = command;
  for (const [placeholder, text] of Object.entries(options.fill ?? {})) {
    line = line.replaceAll(placeholder, text);
  }
  if (/<[^>]*>/.test(line)) throw new Error(`unfilled placeholder in: ${line}`);
  const program = sharedCliArgv([]).map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ");
  const argv = ["sh", "-c", `openshell() { ${program} "$@"; }\n${line}`];
  return await runCommand(options.user ? asUser(options.user, argv) : argv, {
    env: options.env,
    cwd: options.cwd,
  });
}

/** A printed command running in the background (a foreground `serve`, `logs -f`). */
export interface RunningPrinted extends AsyncDisposable {
  /** Waits until its stdout or stderr matches `pattern` (rejects after `ms` or if it exits). */
  waitFor(pattern: RegExp, ms?: number): Promise<void>;
  /** Sends `signal` and waits for it to end; returns its exit code and output. */
  stop(signal?: Deno.Signal): Promise<CommandResult>;
}

/**
 * Starts `command` as {@linkcode runPrinted} runs it, but without waiting for it to end: the
 * shell `exec`s the program, so a signal sent to it reaches the program itself.
 */
export function startPrinted(command: string, options: RunPrintedOptions): RunningPrinted {
  const program = sharedCliArgv([]).map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ");
  const argv = ["sh", "-c", `openshell() { exec ${program} "$@"; }\n${command}`];
  const full = options.user ? asUser(options.user, argv) : argv;
  const child = new Deno.Command(full[0]!, {
    args: full.slice(1),
    env: options.env,
    clearEnv: true,
    cwd: options.cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  let stdout = "";
  let stderr = "";
  const pump = async (stream: ReadableStream<Uint8Array>, add: (text: string) => void) => {
    for await (const text of stream.pipeThrough(new TextDecoderStream())) add(text);
  };
  const pumped = Promise.all([
    pump(child.stdout, (t) => (stdout += t, output += t)),
    pump(child.stderr, (t) => (stderr += t, output += t)),
  ]);
  let exited = false;
  const status = child.status.then((s) => (exited = true, s));
  const stop = async (signal: Deno.Signal = "SIGTERM") => {
    if (!exited) child.kill(signal);
    const { code } = await status;
    await pumped;
    return { code, stdout, stderr };
  };
  return {
    async waitFor(pattern, ms = 60_000) {
      const deadline = Date.now() + ms;
      while (!pattern.test(output)) {
        if (exited) throw new Error(`"${command}" ended before ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`"${command}": no ${pattern} in:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stop,
    // A serve stops on SIGTERM and removes its container; SIGKILL would leave it behind.
    async [Symbol.asyncDispose]() {
      await stop("SIGTERM").catch(() => {});
    },
  };
}
