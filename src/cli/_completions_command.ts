/**
 * What `openshell completions bash|zsh|fish` does: prints the completion script for the
 * command tree that was parsed.
 *
 * @module
 */
import { type CommandInput, withAllFacts } from "./_command_spec.ts";
import type { CompletionShell } from "./_command_spec.ts";
import { completionModel } from "./_completion_model.ts";
import { completionScript } from "./_completion_scripts.ts";
import { printData } from "./_output.ts";

/** `openshell completions <shell>`: the shell completion script, on stdout. */
export async function printCompletions(input: CommandInput): Promise<void> {
  const program = await withAllFacts(input.program);
  const shell = input.args.shell as CompletionShell;
  printData(completionScript(shell, completionModel(program), program.name));
}
