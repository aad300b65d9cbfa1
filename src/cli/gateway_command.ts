import { Command, Option } from "@commander-js/extra-typings";
import type { RegistryRoots } from "../registry/mod.ts";
import { UsageError, UserError } from "../user_error.ts";
import { activeInputs, cliRoots } from "./gateway_context.ts";
import { logsCommand, stopCommand } from "./gateway_served.ts";
import { interactive, printData, printMessage, printWarning } from "./output.ts";
import { OUTPUT_FORMATS, type OutputFormat } from "./render_output.ts";

/** The `openshell gateway` command (alias `gw`): list, add, select, remove, info, stop, logs. */
export function gatewayCommand() {
  const gateway = new Command("gateway")
    .alias("gw")
    .description("Manage gateway registrations (user registry over the system registry)");
  gateway.addCommand(listCommand());
  gateway.addCommand(addCommand());
  gateway.addCommand(selectCommand());
  gateway.addCommand(removeCommand());
  gateway.addCommand(infoCommand());
  gateway.addCommand(stopCommand());
  gateway.addCommand(logsCommand());
  return gateway;
}

function outputOption(formats: readonly string[] = OUTPUT_FORMATS) {
  return new Option("-o, --output <format>", "output format").choices(formats).default(
    formats[0]!,
  );
}

function listCommand() {
  return new Command("list")
    .alias("ls")
    .description("List gateways from the user and system registries")
    .addOption(outputOption())
    .option("--all", "also list system entries hidden by user entries")
    .option("--show-origin", "show the metadata file of each entry")
    .action(async (options, command) => {
      const roots = await cliRoots();
      const { listGateways } = await import("../registry/mod.ts");
      const listing = await listGateways(roots, { all: options.all === true });
      for (const problem of listing.problems) printWarning(problem.message);
      const active = await activeNameForListing(roots, command);
      const format = options.output as OutputFormat;
      if (listing.entries.length === 0 && format === "table") {
        printMessage("No gateways found.");
        printMessage("hint: add one with `openshell gateway add <endpoint>`");
        return;
      }
      const { renderGatewayList } = await import("./render_gateways.ts");
      printData(
        await renderGatewayList(listing.entries, format, {
          active,
          all: options.all === true,
          showOrigin: options.showOrigin === true,
        }),
      );
    });
}

/** The active name for marking a listing; a broken setting is a warning here, not a failure. */
async function activeNameForListing(
  roots: RegistryRoots,
  command: { optsWithGlobals(): object },
): Promise<string | undefined> {
  const { resolveActiveGateway } = await import("../registry/mod.ts");
  try {
    return (await resolveActiveGateway(roots, activeInputs(command)))?.name;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    printWarning(error.message);
    return undefined;
  }
}

function addCommand() {
  return new Command("add")
    .description("Register a gateway in the user registry and make it active")
    .argument("<endpoint>", "http(s)://host[:port]; no scheme means https://")
    .option(
      "--name <name>",
      "gateway name (default: 'openshell' for loopback hosts, else the host)",
    )
    .addOption(new Option("--local", "an mTLS gateway on this machine").conflicts("remote"))
    .addOption(
      new Option("--remote <user@host>", "an mTLS gateway reached on another host").conflicts(
        "local",
      ),
    )
    .option("--ca <file>", "CA certificate of an mTLS gateway")
    .option("--cert <file>", "client certificate of an mTLS gateway")
    .option("--key <file>", "client key of an mTLS gateway (stored 0600)")
    .action(async (endpoint, options) => {
      const { planGatewayAdd } = await import("./gateway_add_plan.ts");
      const plan = planGatewayAdd(endpoint, options);
      const roots = await cliRoots();
      const registry = await import("../registry/mod.ts");
      nameArgument(plan.metadata.name, registry.validateGatewayName);
      const systemPath = await registry.readGatewayMetadata(roots, plan.metadata.name).then(
        (found) => (found.source === "system" ? found.metadataPath : undefined),
        () => undefined,
      );
      const { metadataPath } = await registry.addUserGateway(roots, plan.metadata, {
        activate: "always",
        ...(plan.mtls ? { mtls: plan.mtls } : {}),
      });
      printMessage(
        `Added gateway '${plan.metadata.name}' (${plan.metadata.gateway_endpoint}, ` +
          `${registry.gatewayAuth(plan.metadata)}) in ${metadataPath} and made it active`,
      );
      if (systemPath) printMessage(`It hides the system entry in ${systemPath}`);
      warnEnvOverride(plan.metadata.name);
    });
}

function selectCommand() {
  return new Command("select")
    .description("Make a gateway the user's active gateway")
    .argument("[name]", "gateway name; without it, choose interactively on a terminal")
    .action(async (name, _options, command) => {
      const roots = await cliRoots();
      const registry = await import("../registry/mod.ts");
      let chosen = name;
      if (chosen === undefined) {
        const listing = await registry.listGateways(roots);
        for (const problem of listing.problems) printWarning(problem.message);
        if (listing.entries.length === 0) {
          throw new UserError("No gateways to select", {
            hint: "Add one with `openshell gateway add <endpoint>`",
          });
        }
        const active = await activeNameForListing(roots, command);
        if (!interactive()) {
          const { renderGatewayList } = await import("./render_gateways.ts");
          printData(
            await renderGatewayList(listing.entries, "table", {
              active,
              all: false,
              showOrigin: false,
            }),
          );
          printMessage("hint: run `openshell gateway select <name>` to choose one");
          return;
        }
        const { chooseGateway } = await import("./gateway_chooser.ts");
        const width = Math.max(...listing.entries.map((e) => e.name.length));
        const labels = listing.entries.map((e) =>
          `${e.name.padEnd(width)}  ${e.metadata.gateway_endpoint}  (${e.source})`
        );
        chosen = await chooseGateway(listing.entries.map((e) => e.name), labels, active);
        if (chosen === undefined) throw new UserError("No gateway selected");
      }
      nameArgument(chosen, registry.validateGatewayName);
      const resolved = await registry.selectGateway(roots, chosen);
      printMessage(
        `Active gateway: ${chosen} (${resolved.source}, ${resolved.metadata.gateway_endpoint})`,
      );
      warnEnvOverride(chosen);
    });
}

function removeCommand() {
  return new Command("remove")
    .alias("rm")
    .description("Remove a gateway from the user registry (system entries stay)")
    .argument("[name]", "gateway name (default: the active gateway)")
    .action(async (name, _options, command) => {
      const roots = await cliRoots();
      const registry = await import("../registry/mod.ts");
      const target = name ?? await activeOrUsage(roots, command, "remove");
      nameArgument(target, registry.validateGatewayName);
      const result = await registry.removeUserGateway(roots, target);
      printMessage(`Removed gateway '${target}'`);
      if (result.uncovered) {
        printMessage(`The system entry '${target}' (${result.uncovered}) is listed again`);
      }
      if (result.clearedActive) printMessage("It was the active gateway; none is selected now");
    });
}

function infoCommand() {
  return new Command("info")
    .description("Show a gateway's registration: source, file, what it hides, whether active")
    .argument("[name]", "gateway name (default: the active gateway)")
    .addOption(outputOption(["text", "json", "yaml"]))
    .action(async (name, options, command) => {
      const roots = await cliRoots();
      const registry = await import("../registry/mod.ts");
      const active = await registry.resolveActiveGateway(roots, activeInputs(command));
      const target = name ?? active?.name;
      if (target === undefined) throw noActive("info");
      nameArgument(target, registry.validateGatewayName);
      const gateway = await registry.readGatewayMetadata(roots, target);
      const render = await import("./render_gateways.ts");
      const info = { gateway, active };
      const { renderServedText, servedInfo } = await import("./gateway_served.ts");
      const served = await servedInfo(target);
      const object = () => ({ ...render.gatewayInfoObject(info), served: served ?? null });
      if (options.output === "json") {
        const { renderJson } = await import("./render_output.ts");
        printData(renderJson(object()));
      } else if (options.output === "yaml") {
        const { renderYaml } = await import("./render_output.ts");
        printData(await renderYaml(object()));
      } else {
        const text = render.renderGatewayInfoText(info);
        printData(served === undefined ? text : `${text}\n${renderServedText(served)}`);
      }
    });
}

async function activeOrUsage(
  roots: RegistryRoots,
  command: { optsWithGlobals(): object },
  verb: string,
): Promise<string> {
  const { resolveActiveGateway } = await import("../registry/mod.ts");
  const active = await resolveActiveGateway(roots, activeInputs(command));
  if (active === undefined) throw noActive(verb);
  return active.name;
}

function noActive(verb: string): UsageError {
  return new UsageError(`No gateway named and none is active`, {
    hint: `Run \`openshell gateway ${verb} <name>\`; \`openshell gateway list\` shows the names`,
  });
}

/** A name typed on the command line: invalid is a usage error (exit 2). */
function nameArgument(name: string, validate: (name: string) => string): string {
  try {
    return validate(name);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UsageError(error.message, error.hint ? { hint: error.hint } : {});
  }
}

function warnEnvOverride(name: string): void {
  const env = Deno.env.get("OPENSHELL_GATEWAY")?.trim();
  if (env && env !== name) {
    printWarning(
      `OPENSHELL_GATEWAY='${env}' is set and overrides the active gateway '${name}' ` +
        "for commands run with it",
    );
  }
}
