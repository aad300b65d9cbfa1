/**
 * What `openshell term` does: checks for a terminal, then runs the full-screen view.
 *
 * @module
 */
import { programCommand } from "../errors/mod.ts";
import denoJson from "../../deno.json" with { type: "json" };
import { UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { runTerm, termRegistry } from "../term/mod.ts";
import { activeInputs, cliRoots, insecureAsked } from "./_gateway_context.ts";
import { servedEntries } from "./_served_here.ts";
import { colorEnabled } from "./_output.ts";

/** `openshell term`: the full-screen terminal UI. */
export async function runTermCommand(input: CommandInput): Promise<void> {
  const { flag, env } = activeInputs(input);
  for (const [stream, file] of [["stdout", Deno.stdout], ["stdin", Deno.stdin]] as const) {
    if (!file.isTerminal()) {
      throw new UserError(`The terminal UI needs a terminal: ${stream} is not a TTY`, {
        hint: `run \`${
          programCommand("gateway", "list")
        }\` to print the gateways (\`-o json\` for scripts)`,
      });
    }
  }
  const roots = cliRoots();
  await runTerm({
    version: denoJson.version,
    registry: termRegistry(
      roots,
      { flag, env },
      async (entries) => new Set((await servedEntries(roots, entries)).keys()),
    ),
    color: colorEnabled("stdout"),
    insecure: insecureAsked(input),
  });
}
