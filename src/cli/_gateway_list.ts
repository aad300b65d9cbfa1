/**
 * What `gateway list` does. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { fillIn, programCommand } from "../errors/mod.ts";
import { listGateways } from "../registry/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { activeNameForListing, cliRoots } from "./_gateway_context.ts";
import { printData, printHint, printMessage, printWarning } from "./_output.ts";
import type { OutputFormat } from "./_output.ts";
import { renderGatewayList } from "./_render_gateways.ts";
import { servedEntries } from "./_served_here.ts";

/** `gateway list`. */
export async function gatewayList(input: CommandInput): Promise<void> {
  const { options } = input;
  const roots = cliRoots();
  const listing = await listGateways(roots, { all: options.all === true });
  for (const problem of listing.problems) printWarning(problem.message);
  const active = await activeNameForListing(
    roots,
    input,
    listing.entries.map((e) => e.name),
  );
  const format = options.output as OutputFormat;
  const served = await servedEntries(roots, listing.entries);
  if (listing.entries.length === 0 && format === "table") {
    printMessage("No gateways found.");
    printHint(`run \`${programCommand("gateway", "add", fillIn("<endpoint>"))}\` to add one`);
    return;
  }
  printData(
    await renderGatewayList(listing.entries, format, {
      active,
      served: new Set(served.keys()),
      all: options.all === true,
      showOrigin: options.showOrigin === true,
    }),
  );
}
