/**
 * Runs the `openshell` command line: reads it against the command tree, then prints help,
 * the version or a usage error, or runs the command, loading only that command's code.
 *
 * @module
 */
import { withPathFacts } from "./_command_spec.ts";
import { PROGRAM } from "./_command_tree.ts";
import { parseArgs, type ParseOutcome } from "./_parse_args.ts";
import { paint, reportFailure } from "./_output.ts";
import { printVersionLine, writeStdio } from "./_write_stdio.ts";

/** The line after a usage error. */
const USAGE_HINT = "(run with --help for usage)";
/** Help is wrapped to this width when it does not go to a terminal. */
const HELP_WIDTH = 80;

/**
 * Runs the CLI with `args` and returns the exit status: 0 success, 1 failure, 2 usage.
 * User errors print one `error: ...` line plus a hint; anything else is a bug and prints
 * its stack only when `OPENSHELL_DEBUG` is set.
 */
export async function runCommandLine(args: string[]): Promise<number> {
  const program = PROGRAM;
  try {
    const env = (name: string) => Deno.env.get(name);
    let outcome = parseArgs(program, args, env);
    // A command whose defaults or choices live in heavier modules is read again with them.
    const resolved = await withPathFacts(program, outcome.path);
    if (resolved !== program) outcome = parseArgs(resolved, args, env);
    return await settle(outcome);
  } catch (error) {
    return reportFailure(error);
  }
}

async function settle(outcome: ParseOutcome): Promise<number> {
  switch (outcome.kind) {
    case "run":
      return (await outcome.input.command.run?.(outcome.input)) ?? 0;
    case "version":
      return printVersionLine();
    case "help": {
      const { helpText } = await import("./_help_text.ts");
      const stream = outcome.asked ? "stdout" : "stderr";
      writeStdio(stream, helpText(outcome.path, helpWidth(stream)));
      return outcome.asked ? 0 : 2;
    }
    case "error":
      writeStdio("stderr", paint("red", `${outcome.message}\n`, "stderr"));
      writeStdio("stderr", `${USAGE_HINT}\n`);
      return 2;
  }
}

function helpWidth(stream: "stdout" | "stderr"): number {
  if (!(stream === "stdout" ? Deno.stdout : Deno.stderr).isTerminal()) return HELP_WIDTH;
  try {
    return Deno.consoleSize().columns;
  } catch {
    return HELP_WIDTH;
  }
}
