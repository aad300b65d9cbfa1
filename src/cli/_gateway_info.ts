/**
 * What `gateway info [name]` does: the registration, how it is served when it is served
 * here, and what the live gateway says of itself (gRPC `GetGatewayInfo`) when it answers. Its
 * command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import {
  gatewayMtlsDir,
  gatewayTokenPath,
  mtlsFilePaths,
  readGatewayMetadata,
  type RegistryRoots,
  resolveActiveGateway,
  validateGatewayName,
} from "../registry/mod.ts";
import { checkGateway, healthHint } from "../client/mod.ts";
import { UserError } from "../errors/mod.ts";
import { servedRecordJson } from "../serve/mod.ts";
import { effectiveUid } from "../host/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import {
  activeInputs,
  activeRegistration,
  cliRoots,
  endpointOverride,
  endpointTarget,
  insecureAsked,
  nameArgument,
  noActive,
  warnInsecure,
} from "./_gateway_context.ts";
import { renderServedText, servedInfo } from "./_gateway_served.ts";
import { printData } from "./_output.ts";
import {
  authenticationText,
  type GatewayInfo,
  gatewayInfoObject,
  renderGatewayInfoText,
} from "./_render_gateways.ts";
import { renderJson, renderYaml } from "./_output.ts";

/** How long `gateway info` waits for the live gateway before showing the registration alone. */
const LIVE_TIMEOUT_MS = 2000;

/** `gateway info [name]`. */
export async function gatewayInfo(input: CommandInput): Promise<void> {
  const name = input.args.name as string | undefined;
  const roots = cliRoots();
  const insecure = insecureAsked(input);
  const direct = endpointOverride(input);
  if (direct !== undefined) {
    if (name !== undefined) nameArgument(name, validateGatewayName);
    const target = await endpointTarget(roots, input, direct, name ?? activeInputs(input).flag);
    const active = await resolveActiveGateway(roots, activeInputs(input)).catch(() => undefined);
    const gateway = target.entry && await readGatewayMetadata(roots, target.entry.name);
    return await report(input, roots, {
      name: target.name,
      gateway: gateway && { gateway, active },
      origin: target.origin,
      server: direct.endpoint,
      insecure,
    });
  }
  const active = await resolveActiveGateway(roots, activeInputs(input));
  const target = name ?? active?.name;
  if (target === undefined) throw noActive("info");
  nameArgument(target, validateGatewayName);
  const gateway = name === undefined && active !== undefined
    ? await activeRegistration(roots, active)
    : await readGatewayMetadata(roots, target);
  await report(input, roots, {
    name: target,
    gateway: { gateway, active },
    origin: undefined,
    server: gateway.metadata.gateway_endpoint,
    insecure,
  });
}

/** What `gateway info` shows: a registration (if any) and the endpoint asked. */
interface InfoTarget {
  name: string;
  /** The registration; none for an endpoint given directly that no registration holds. */
  gateway: GatewayInfo | undefined;
  /** Where an endpoint given directly came from (`--gateway-endpoint` or its variable). */
  origin: string | undefined;
  /** The endpoint asked. */
  server: string;
  insecure: boolean;
}

async function report(input: CommandInput, roots: RegistryRoots, target: InfoTarget) {
  const { name, gateway: info, server } = target;
  if (target.insecure) warnInsecure(server);
  const [served, check] = await Promise.all([
    info ? servedInfo(name) : undefined,
    checkGateway({
      endpoint: server,
      insecure: target.insecure,
      ...(info
        ? {
          tls: mtlsFilePaths(gatewayMtlsDir(roots, name)),
          tokenFile: gatewayTokenPath(roots, name),
        }
        : {}),
    }, { timeoutMs: LIVE_TIMEOUT_MS }),
  ]);
  const live = check.info;
  // An endpoint without a registration has nothing to show but what it answers.
  if (info === undefined && live === null) {
    const why = check.status === "connected" ? authenticationText(check) : check.error;
    throw new UserError(`Gateway '${name}' at ${server} did not answer GetGatewayInfo: ${why}`, {
      hint: healthHint(check.failure, { name, endpoint: server, mtlsDir: "" }),
    });
  }
  const object = () => ({
    ...(info ? gatewayInfoObject(info) : endpointInfoObject(name, server, target.origin!)),
    served: served === undefined ? null : servedRecordJson(served),
    server,
    live: live === null ? null : {
      status: live.status,
      version: live.version,
      compute_drivers: live.computeDrivers.map((driver) => ({
        name: driver.name,
        capabilities: { driver_name: driver.driverName, driver_version: driver.driverVersion },
      })),
      authentication: check.authentication,
    },
  });
  const { options } = input;
  if (options.output === "json") {
    printData(renderJson(object()));
  } else if (options.output === "yaml") {
    printData(await renderYaml(object()));
  } else {
    const lines = [
      info
        ? renderGatewayInfoText(info)
        : [`name:     ${name}`, `endpoint: ${server}`, `source:   endpoint (${target.origin})`]
          .join("\n"),
    ];
    if (served !== undefined) lines.push(renderServedText(served, effectiveUid()));
    // A registration asked at an endpoint given directly: which one, answered or not.
    if (info && target.origin) lines.push(`server:   ${server} (${target.origin})`);
    if (live !== null) {
      const drivers = live.computeDrivers.map((driver) =>
        `${driver.name} (${`${driver.driverName} ${driver.driverVersion}`.trim()})`
      );
      lines.push(
        [
          `live:     ${live.status}, version ${live.version || "unknown"} (GetGatewayInfo)`,
          `drivers:  ${drivers.length === 0 ? "none" : drivers.join(", ")}`,
          `auth:     ${authenticationText(check)}`,
        ].join("\n"),
      );
    }
    printData(lines.join("\n"));
  }
}

/** The registration fields of `gateway info -o json` for an endpoint no registration holds. */
function endpointInfoObject(name: string, endpoint: string, origin: string) {
  return {
    name,
    source: "endpoint",
    origin,
    shadows: null,
    active: false,
    active_reason: null,
    endpoint,
    type: null,
    auth: null,
    is_remote: null,
    remote_host: null,
    resolved_host: null,
    metadata: null,
  };
}
