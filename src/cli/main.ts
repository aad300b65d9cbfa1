import { Command, CommanderError } from "@commander-js/extra-typings";
import denoJson from "../../deno.json" with { type: "json" };
import { paint, reportFailure } from "./output.ts";
import { bundleCommand } from "./_bundle_command.ts";
import { completionsCommand } from "./_completions_command.ts";
import { doctorCommand } from "./_doctor_command.ts";
import { gatewayCommand } from "./_gateway_command.ts";
import { serveCommand } from "./serve_command.ts";
import { statusCommand } from "./_status_command.ts";
import { systemCommand } from "./_system_command.ts";
import { termCommand } from "./_term_command.ts";
import { writeStdio } from "./_write_stdio.ts";

/** Builds the `openshell` command tree. */
export function buildProgram(): Command {
  const program = new Command("openshell")
    .description("Reach and run OpenShell gateways")
    .version(denoJson.version, "-V, --version", "print the version")
    .option("-g, --gateway <name>", "use this gateway instead of the active one")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => writeStdio("stdout", text),
      writeErr: (text) => writeStdio("stderr", text),
      outputError: (text, write) => write(paint("red", text, "stderr")),
    });
  program
    .addCommand(gatewayCommand())
    .addCommand(statusCommand())
    .addCommand(serveCommand())
    .addCommand(bundleCommand())
    .addCommand(termCommand())
    .addCommand(doctorCommand())
    .addCommand(systemCommand())
    .addCommand(completionsCommand());
  inheritSettings(program);
  return program as unknown as Command;
}

// addCommand() does not copy exitOverride/configureOutput into prebuilt subcommands.
function inheritSettings(parent: { commands: readonly unknown[] }): void {
  for (const child of parent.commands as Command[]) {
    child.copyInheritedSettings(parent as Command);
    inheritSettings(child);
  }
}

/**
 * Runs the CLI with `args` and returns the exit status: 0 success, 1 failure, 2 usage.
 * User errors print one `error: ...` line plus a hint; anything else is a bug and prints
 * its stack only when `OPENSHELL_DEBUG` is set.
 */
export async function runCli(args: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(splitShortOptionValues(args), { from: "user" });
    return 0;
  } catch (error) {
    return reportError(error);
  }
}

/**
 * `-o=json` as `-o json`: commander reads a short option's `=` as part of the value.
 *
 * @example
 * ```ts
 * splitShortOptionValues(["status", "-o=json"]); // ["status", "-o", "json"]
 * ```
 */
export function splitShortOptionValues(args: readonly string[]): string[] {
  const end = args.indexOf("--");
  return args.flatMap((arg, i) =>
    (end === -1 || i < end) && /^-[og]=/.test(arg) ? [arg.slice(0, 2), arg.slice(3)] : [arg]
  );
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander has already printed its message; help and version exit 0.
    return error.exitCode === 0 ? 0 : 2;
  }
  return reportFailure(error);
}
