/**
 * What `gateway rename <old> <new>` does. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { validateGatewayName } from "../registry/mod.ts";
import { renameUserGateway } from "../register/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { cliRoots, nameArgument, warnEnvOverride } from "./_gateway_context.ts";
import { printMessage } from "./_output.ts";
import { refuseWhileServed } from "./_served_here.ts";

/** `gateway rename <old> <new>`. */
export async function gatewayRename(input: CommandInput): Promise<void> {
  const from = input.args.old as string;
  const to = input.args.new as string;
  const roots = cliRoots();
  nameArgument(from, validateGatewayName);
  nameArgument(to, validateGatewayName);
  await refuseWhileServed(roots, from, "rename");
  const result = await renameUserGateway(roots, from, to);
  printMessage(`Renamed gateway '${from}' to '${to}'`);
  if (result.movedActive) printMessage(`'${to}' is the active gateway`);
  if (result.uncovered) {
    printMessage(`The system entry '${from}' (${result.uncovered}) is listed again`);
  }
  if (result.movedActive) warnEnvOverride(input, to);
}
