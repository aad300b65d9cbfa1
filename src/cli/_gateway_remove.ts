/**
 * What `gateway remove [names...]` does. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { programCommand } from "../errors/mod.ts";
import type { RegistryRoots } from "../registry/mod.ts";
import { resolveActiveGateway, validateGatewayName } from "../registry/mod.ts";
import { removeUserGateway } from "../register/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { activeInputs, cliRoots, nameArgument, noActive } from "./_gateway_context.ts";
import { printError, printMessage } from "./_output.ts";
import { activeReasonText } from "./_render_gateways.ts";
import { refuseWhileServed } from "./_served_here.ts";

/** `gateway remove [names...]`. */
export async function gatewayRemove(input: CommandInput): Promise<void> {
  const names = input.args.names as readonly string[];
  const roots = cliRoots();
  const targets = names.length > 0 ? names : [await activeOrUsage(roots, input, "remove")];
  for (const target of targets) nameArgument(target, validateGatewayName);
  let failure: unknown;
  for (const target of new Set(targets)) {
    try {
      await refuseWhileServed(roots, target, "remove");
      const result = await removeUserGateway(roots, target);
      printMessage(`Removed gateway '${target}'`);
      if (result.uncovered) {
        printMessage(`The system entry '${target}' (${result.uncovered}) is listed again`);
      }
      if (result.clearedActive) printMessage(`It was the active gateway; ${await nowActive()}`);
    } catch (error) {
      if (!(error instanceof UserError) || targets.length === 1) throw error;
      // With several names, each is tried; the last failure sets the exit status.
      printError(error.message);
      failure = error;
    }
  }
  if (failure !== undefined) {
    throw new UserError("Some gateways were not removed", {
      hint: `See the errors above; \`${
        programCommand("gateway", "list")
      }\` shows what is registered`,
    });
  }
}

/** What is active once the user's active gateway is gone, in words. */
async function nowActive(): Promise<string> {
  const active = await resolveActiveGateway(cliRoots(), { warn: () => {} }).catch(() => undefined);
  if (active === undefined) return "none is active now";
  return `'${active.name}' is active now: ${activeReasonText(active)}`;
}

async function activeOrUsage(
  roots: RegistryRoots,
  input: CommandInput,
  verb: string,
): Promise<string> {
  const active = await resolveActiveGateway(roots, activeInputs(input));
  if (active === undefined) throw noActive(verb);
  return active.name;
}
