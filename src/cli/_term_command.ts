import { Command } from "@commander-js/extra-typings";
import denoJson from "../../deno.json" with { type: "json" };
import { UserError } from "../errors/mod.ts";
import { activeInputs, cliRoots } from "./gateway_context.ts";
import { colorEnabled } from "./output.ts";

const KEYS_HELP = `
Keys:
  up/down, j/k   move (g/G, Home/End, PgUp/PgDn jump)
  Enter          make the selected gateway active (the user active_gateway, like gateway select)
  d              remove the selected user gateway after a y/n confirmation
  r              re-read the registry and check every gateway now
  ?              help
  q, Ctrl-C      quit and restore the terminal

The registry is re-read every 2 s; STATUS comes from GET <endpoint>/healthz.
Needs a terminal; for scripts use \`openshell gateway list -o json\`.`;

/** The `openshell term` command: the full-screen terminal UI. */
export function termCommand() {
  return new Command("term")
    .description("Full-screen terminal view of gateways: where each comes from, whether it answers")
    .addHelpText("after", KEYS_HELP)
    .action(async (_options, command) => {
      const { flag, env } = await activeInputs(command);
      for (const [stream, file] of [["stdout", Deno.stdout], ["stdin", Deno.stdin]] as const) {
        if (!file.isTerminal()) {
          throw new UserError(`The terminal UI needs a terminal: ${stream} is not a TTY`, {
            hint: "run `openshell gateway list` to print the gateways (`-o json` for scripts)",
          });
        }
      }
      // Loaded here so that other commands do not pay for the registry or terminal library.
      const { termRegistry } = await import("../term/mod.ts");
      const { servedInfo } = await import("./_gateway_served.ts");
      const roots = await cliRoots();
      const { runTerm } = await import("../term/mod.ts");
      await runTerm({
        version: denoJson.version,
        registry: termRegistry(
          roots,
          { flag, env },
          (name) => servedInfo(name).then((record) => record !== undefined, () => false),
        ),
        color: colorEnabled("stdout"),
      });
    });
}
