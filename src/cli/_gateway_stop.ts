/**
 * What `gateway stop [NAME]` does: stops a gateway served here, or says why it cannot. Its
 * command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { processStart, stopServedGateway } from "../serve/mod.ts";
import { readLaunchRecord } from "../runtime/mod.ts";
import { madeByServe, readGatewayMetadata } from "../registry/mod.ts";
import { programCommand, UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { cliRoots } from "./_gateway_context.ts";
import { served, targetName } from "./_gateway_served.ts";
import { printHint, printMessage } from "./_output.ts";

/** `gateway stop [NAME]`. */
export async function stopGateway(input: CommandInput): Promise<void> {
  const target = await targetName(input, "stop");
  const found = await served(target);
  if (found.state === "served") {
    await stopServedGateway(found);
    printMessage(`Gateway "${target}" stopped`);
    return;
  }
  const why = await notServed(target, found.dir);
  if (why !== "stopped") throw why;
  // As `systemctl stop` and `podman stop`: stopping what is stopped is done.
  printMessage(`Gateway "${target}" is already stopped`);
  printHint(`\`${programCommand("serve", "--name", target, "--detach")}\` serves it again`);
}

/**
 * Why `name` cannot be stopped here: a system or remote entry, a launcher that was killed
 * and left its container, or not served at all; `stopped` for a gateway of the caller's
 * registry that is not running.
 */
async function notServed(name: string, dir: string): Promise<UserError | "stopped"> {
  const found = await readGatewayMetadata(cliRoots(), name).catch(() => undefined);
  if (found?.metadata.is_remote) {
    return new UserError(
      `Gateway "${name}" is remote (${found.metadata.gateway_endpoint}): it is not served here`,
      { hint: "Stop it on the machine that runs it" },
    );
  }
  if (found?.source === "system") {
    return new UserError(`Gateway "${name}" is a system gateway, not served by you here`, {
      hint: "System gateways run as services: stop it with systemctl",
    });
  }
  const left = readLaunchRecord(dir);
  if (left !== undefined && (await processStart(left.pid)) !== undefined) {
    return new UserError(`Gateway "${name}" is still starting (launcher pid ${left.pid})`, {
      hint: "Try again once it answers",
    });
  }
  if (left !== undefined) {
    return new UserError(
      `Gateway "${name}" is not served: its launcher (pid ${left.pid}) is gone and left ` +
        `container "${left.containerId}" behind`,
      { hint: `The next \`${programCommand("serve", "--name", name)}\` removes it first` },
    );
  }
  if (found?.source === "user" && !madeByServe(cliRoots(), name)) {
    return new UserError(
      `Gateway "${name}" is not served on this machine: it was registered with gateway add, ` +
        "and only gateways openshell serves can be stopped with it",
      { hint: `\`${programCommand("gateway", "info", name)}\` shows where it is registered` },
    );
  }
  if (found !== undefined) return "stopped";
  return new UserError(`Gateway "${name}" is not served on this machine`, {
    hint: `\`${programCommand("serve", "--name", name, "--detach")}\` serves it; \`${
      programCommand("gateway", "list")
    }\` shows the registrations`,
  });
}
