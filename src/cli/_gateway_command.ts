/**
 * What the `gateway` commands do: list, add, select, remove, rename and info (stop and logs
 * are in `_gateway_served.ts`). Their command lines are declared in `_command_tree.ts`.
 *
 * @module
 */
import type { RegistryRoots } from "../registry/mod.ts";
import type { MtlsFiles } from "../register/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { UsageError, UserError } from "../errors/mod.ts";
import {
  activeInputs,
  activeOriginText,
  activeRegistration,
  cliRoots,
  gatewayVariable,
  nameArgument,
} from "./gateway_context.ts";
import {
  interactive,
  printData,
  printError,
  printHint,
  printMessage,
  printWarning,
} from "./output.ts";
import type { OutputFormat } from "./_render_output.ts";

/** `gateway list`. */
export async function gatewayList(input: CommandInput): Promise<void> {
  const { options } = input;
  const roots = await cliRoots();
  const { listGateways } = await import("../registry/mod.ts");
  const listing = await listGateways(roots, { all: options.all === true });
  for (const problem of listing.problems) printWarning(problem.message);
  const active = await activeNameForListing(
    roots,
    input,
    listing.entries.map((e) => e.name),
  );
  const format = options.output as OutputFormat;
  if (listing.entries.length === 0 && format === "table") {
    printMessage("No gateways found.");
    printHint("run `openshell gateway add <endpoint>` to add one");
    return;
  }
  const { renderGatewayList } = await import("./_render_gateways.ts");
  printData(
    await renderGatewayList(listing.entries, format, {
      active,
      all: options.all === true,
      showOrigin: options.showOrigin === true,
    }),
  );
}

/**
 * The active name for marking a listing; a broken setting, or an active name that is not
 * registered, is a warning here (naming where the name came from), not a failure.
 */
async function activeNameForListing(
  roots: RegistryRoots,
  input: CommandInput,
  names: readonly string[],
): Promise<string | undefined> {
  const { resolveActiveGateway } = await import("../registry/mod.ts");
  try {
    const active = await resolveActiveGateway(roots, await activeInputs(input));
    if (active !== undefined && !names.includes(active.name)) {
      printWarning(
        `the active gateway '${active.name}' from ${activeOriginText(active)} is not registered; ` +
          "no gateway is marked active",
      );
    }
    return active?.name;
  } catch (error) {
    if (!(error instanceof UserError) || error instanceof UsageError) throw error;
    printWarning(error.message);
    return undefined;
  }
}

/** `gateway add <endpoint>`. */
export async function gatewayAdd(input: CommandInput): Promise<void> {
  const endpoint = input.args.endpoint as string;
  const options = input.options as {
    name?: string;
    local?: boolean;
    remote?: string;
    ca?: string;
    cert?: string;
    key?: string;
    activate: boolean;
  };
  const { planGatewayAdd } = await import("../register/mod.ts");
  const plan = planGatewayAdd(endpoint, options);
  const roots = await cliRoots();
  const registry = await import("../registry/mod.ts");
  const register = await import("../register/mod.ts");
  const name = nameArgument(plan.metadata.name, registry.validateGatewayName);
  const systemPath = await registry.readGatewayMetadata(roots, name).then(
    (found) => (found.source === "system" ? found.metadataPath : undefined),
    () => undefined,
  );
  if (plan.metadata.auth_mode === "plaintext") {
    const mtlsDir = await userMtlsDir(roots, name);
    if (await hasUserCertificates(mtlsDir)) {
      // as upstream warns: certificates for this name suggest an https:// gateway
      printWarning(
        `mTLS certificates for gateway '${name}' are in ${mtlsDir}; did you mean https://?`,
      );
    }
  }
  const mtls = plan.mtls ??
    (plan.needsCertificates
      ? await foundCertificates(roots, name, endpoint, options.local === true)
      : undefined);
  if (plan.sshHost !== undefined) {
    const { resolveSshHostname } = await import("./_ssh_hostname.ts");
    plan.metadata.resolved_host = await resolveSshHostname(plan.sshHost);
  }
  const { metadataPath, activated } = await register.addUserGateway(roots, plan.metadata, {
    activate: options.activate ? "always" : "never",
    ...(mtls ? { mtls } : {}),
  });
  printMessage(
    `Added gateway '${name}' (${plan.metadata.gateway_endpoint}, ` +
      `${registry.gatewayAuth(plan.metadata)}) in ${metadataPath}` +
      (activated ? " and made it active" : ""),
  );
  if (systemPath) printMessage(`It hides the system entry in ${systemPath}`);
  if (activated) warnEnvOverride(input, name);
}

/**
 * The client certificates of an mTLS gateway added without --ca/--cert/--key: those a local
 * gateway package provisioned (copied in, for --local), else none when the user's
 * `gateways/<name>/mtls/` already holds them.
 *
 * @throws {UserError} when neither exists; nothing is written.
 */
async function foundCertificates(
  roots: RegistryRoots,
  name: string,
  endpoint: string,
  local: boolean,
): Promise<MtlsFiles | undefined> {
  const found = await import("../client/mod.ts");
  const { processEnv } = await import("../host/mod.ts");
  const packageDir = local ? found.packageTlsDir(processEnv) : undefined;
  if (packageDir !== undefined && found.allFilesPresent(found.packageTlsFiles(packageDir))) {
    return found.packageTlsFiles(packageDir);
  }
  const mtlsDir = await userMtlsDir(roots, name);
  if (await hasUserCertificates(mtlsDir)) return undefined;
  const places = packageDir === undefined ? `"${mtlsDir}"` : `"${packageDir}" or "${mtlsDir}"`;
  throw new UserError(`mTLS certificates for gateway '${name}' were not found in ${places}`, {
    hint: `Start the gateway package first so it provisions client TLS material, or give ` +
      `--ca/--cert/--key, then retry: openshell gateway add ${endpoint}` +
      (local ? " --local" : " --remote <[user@]host>"),
  });
}

async function userMtlsDir(roots: RegistryRoots, name: string): Promise<string> {
  const { userGatewayDir } = await import("../registry/mod.ts");
  return `${userGatewayDir(roots, name)}/mtls`;
}

/** Whether the user's `gateways/<name>/mtls/` holds all three client TLS files. */
async function hasUserCertificates(mtlsDir: string): Promise<boolean> {
  const { allFilesPresent } = await import("../client/mod.ts");
  const { mtlsFiles } = await import("../client/mod.ts");
  return allFilesPresent(mtlsFiles(mtlsDir));
}

/** `gateway select [name]`. */
export async function gatewaySelect(input: CommandInput): Promise<void> {
  const name = input.args.name as string | undefined;
  const roots = await cliRoots();
  const registry = await import("../registry/mod.ts");
  const register = await import("../register/mod.ts");
  let chosen = name;
  if (chosen === undefined) {
    const listing = await registry.listGateways(roots);
    for (const problem of listing.problems) printWarning(problem.message);
    if (listing.entries.length === 0) {
      throw new UserError("No gateways to select", {
        hint: "run `openshell gateway add <endpoint>` to add one",
      });
    }
    const active = await activeNameForListing(
      roots,
      input,
      listing.entries.map((e) => e.name),
    );
    if (!interactive()) {
      const { renderGatewayList } = await import("./_render_gateways.ts");
      printData(
        await renderGatewayList(listing.entries, "table", {
          active,
          all: false,
          showOrigin: false,
        }),
      );
      printHint("run `openshell gateway select <name>` to choose one");
      return;
    }
    const { chooseGateway } = await import("./_gateway_chooser.ts");
    chosen = await chooseGateway(
      listing.entries.map((e) => ({
        name: e.name,
        endpoint: e.metadata.gateway_endpoint,
        type: registry.gatewayType(e.metadata),
        source: e.source,
      })),
      active,
    );
    if (chosen === undefined) throw new UserError("No gateway selected");
  }
  nameArgument(chosen, registry.validateGatewayName);
  const resolved = await register.selectGateway(roots, chosen);
  printMessage(
    `Active gateway: ${chosen} (${resolved.source}, ${resolved.metadata.gateway_endpoint})`,
  );
  warnEnvOverride(input, chosen);
}

/** `gateway remove [names...]`. */
export async function gatewayRemove(input: CommandInput): Promise<void> {
  const names = input.args.names as readonly string[];
  const roots = await cliRoots();
  const registry = await import("../registry/mod.ts");
  const register = await import("../register/mod.ts");
  const targets = names.length > 0 ? names : [await activeOrUsage(roots, input, "remove")];
  for (const target of targets) nameArgument(target, registry.validateGatewayName);
  let failure: unknown;
  for (const target of new Set(targets)) {
    try {
      const result = await register.removeUserGateway(roots, target);
      printMessage(`Removed gateway '${target}'`);
      if (result.uncovered) {
        printMessage(`The system entry '${target}' (${result.uncovered}) is listed again`);
      }
      if (result.clearedActive) {
        printMessage("It was the active gateway; none is selected now");
      }
    } catch (error) {
      if (!(error instanceof UserError) || targets.length === 1) throw error;
      // With several names, each is tried; the last failure sets the exit status.
      printError(error.message);
      failure = error;
    }
  }
  if (failure !== undefined) {
    throw new UserError("Some gateways were not removed", {
      hint: "See the errors above; `openshell gateway list` shows what is registered",
    });
  }
}

/** `gateway rename <old> <new>`. */
export async function gatewayRename(input: CommandInput): Promise<void> {
  const from = input.args.old as string;
  const to = input.args.new as string;
  const roots = await cliRoots();
  const registry = await import("../registry/mod.ts");
  const register = await import("../register/mod.ts");
  nameArgument(from, registry.validateGatewayName);
  nameArgument(to, registry.validateGatewayName);
  const result = await register.renameUserGateway(roots, from, to);
  printMessage(`Renamed gateway '${from}' to '${to}'`);
  if (result.movedActive) printMessage(`'${to}' is the active gateway`);
  if (result.uncovered) {
    printMessage(`The system entry '${from}' (${result.uncovered}) is listed again`);
  }
  if (result.movedActive) warnEnvOverride(input, to);
}

/** `gateway info [name]`. */
export async function gatewayInfo(input: CommandInput): Promise<void> {
  const name = input.args.name as string | undefined;
  const { options } = input;
  const roots = await cliRoots();
  const registry = await import("../registry/mod.ts");
  const active = await registry.resolveActiveGateway(roots, await activeInputs(input));
  const target = name ?? active?.name;
  if (target === undefined) throw noActive("info");
  nameArgument(target, registry.validateGatewayName);
  const gateway = name === undefined && active !== undefined
    ? await activeRegistration(roots, active)
    : await registry.readGatewayMetadata(roots, target);
  const render = await import("./_render_gateways.ts");
  const info = { gateway, active };
  const { renderServedText, servedInfo } = await import("./_gateway_served.ts");
  const served = await servedInfo(target);
  const object = () => ({ ...render.gatewayInfoObject(info), served: served ?? null });
  if (options.output === "json") {
    const { renderJson } = await import("./_render_output.ts");
    printData(renderJson(object()));
  } else if (options.output === "yaml") {
    const { renderYaml } = await import("./_render_output.ts");
    printData(await renderYaml(object()));
  } else {
    const text = render.renderGatewayInfoText(info);
    printData(served === undefined ? text : `${text}\n${renderServedText(served)}`);
  }
}

async function activeOrUsage(
  roots: RegistryRoots,
  input: CommandInput,
  verb: string,
): Promise<string> {
  const { resolveActiveGateway } = await import("../registry/mod.ts");
  const active = await resolveActiveGateway(roots, await activeInputs(input));
  if (active === undefined) throw noActive(verb);
  return active.name;
}

function noActive(verb: string): UsageError {
  return new UsageError(`No gateway named and none is active`, {
    hint: `Run \`openshell gateway ${verb} <name>\`; \`openshell gateway list\` shows the names`,
  });
}

function warnEnvOverride(input: CommandInput, name: string): void {
  const env = gatewayVariable(input)?.trim();
  if (env && env !== name) {
    printWarning(
      `OPENSHELL_GATEWAY='${env}' is set and overrides the active gateway '${name}' ` +
        "for commands run with it",
    );
  }
}
