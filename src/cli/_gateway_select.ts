/**
 * What `gateway select [name]` does: selects the named gateway, or offers a chooser on a
 * terminal. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { fillIn, programCommand } from "../errors/mod.ts";
import { gatewayType, listGateways, validateGatewayName } from "../registry/mod.ts";
import { selectGateway } from "../register/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import {
  activeNameForListing,
  cliRoots,
  nameArgument,
  warnEnvOverride,
} from "./_gateway_context.ts";
import { chooseGateway } from "./_gateway_chooser.ts";
import { interactive, printData, printHint, printMessage, printWarning } from "./_output.ts";
import { renderGatewayList } from "./_render_gateways.ts";

/** `gateway select [name]`. */
export async function gatewaySelect(input: CommandInput): Promise<void> {
  const name = input.args.name as string | undefined;
  const roots = cliRoots();
  let chosen = name;
  if (chosen === undefined) {
    const listing = await listGateways(roots);
    for (const problem of listing.problems) printWarning(problem.message);
    if (listing.entries.length === 0) {
      throw new UserError("No gateways to select", {
        hint: `run \`${programCommand("gateway", "add", fillIn("<endpoint>"))}\` to add one`,
      });
    }
    const active = await activeNameForListing(
      roots,
      input,
      listing.entries.map((e) => e.name),
    );
    if (!interactive()) {
      printData(
        await renderGatewayList(listing.entries, "table", {
          active,
          all: false,
          showOrigin: false,
        }),
      );
      printHint(`run \`${programCommand("gateway", "select", fillIn("<name>"))}\` to choose one`);
      return;
    }
    chosen = await chooseGateway(
      listing.entries.map((e) => ({
        name: e.name,
        endpoint: e.metadata.gateway_endpoint,
        type: gatewayType(e.metadata),
        source: e.source,
      })),
      active,
    );
    if (chosen === undefined) throw new UserError("No gateway selected");
  }
  nameArgument(chosen, validateGatewayName);
  const resolved = await selectGateway(roots, chosen);
  printMessage(
    `Active gateway: ${chosen} (${resolved.source}, ${resolved.metadata.gateway_endpoint})`,
  );
  warnEnvOverride(input, chosen);
}
