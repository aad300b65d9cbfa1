/**
 * What `openshell serve` does on the CLI's side: turns the parsed command line into
 * `ServeOptions` and hands it to the serve use case, in the foreground or detached.
 *
 * @module
 */
import type { ServeOptions } from "../serve/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { optionShape } from "./_command_spec.ts";
import type { ReportFormat } from "./_output.ts";
import { runServe, runServeDetached } from "./_serve_run.ts";

/** `openshell serve`: returns the exit status. */
export async function serveCommand(input: CommandInput): Promise<number> {
  const options = input.options as unknown as ServeOptions & {
    detach?: boolean;
    output: ReportFormat;
  };
  if (options.detach) {
    return await runServeDetached(
      { name: options.name, args: explicitArgs(input) },
      options.output,
    );
  }
  const { detach: _, output: _output, ...serveOptions } = options;
  return await runServe(serveOptions);
}

/** The options given on the command line (not defaults), as arguments, without --detach. */
function explicitArgs(input: CommandInput): string[] {
  const own = input.levels.at(-1)!;
  const args: string[] = [];
  for (const option of input.command.options ?? []) {
    const { key, long } = optionShape(option.flags);
    const value = own.values[key];
    if (key === "detach" || key === "output" || value === undefined || own.sources[key] !== "cli") {
      continue;
    }
    if (value === true) args.push(long!);
    else if (typeof value === "string") args.push(long!, value);
  }
  return args;
}
