/**
 * What `gateway info [name]` does: the registration, how it is served when it is served
 * here, and what the live gateway says of itself (gRPC `GetGatewayInfo`) when it answers. Its
 * command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import {
  readGatewayMetadata,
  resolveActiveGateway,
  TOKEN_FILE_NAME,
  userGatewayDir,
  validateGatewayName,
} from "../registry/mod.ts";
import { checkGateway, mtlsFiles } from "../client/mod.ts";
import { servedRecordJson } from "../serve/mod.ts";
import { effectiveUid } from "../host/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import {
  activeInputs,
  activeRegistration,
  cliRoots,
  nameArgument,
  noActive,
} from "./_gateway_context.ts";
import { renderServedText, servedInfo } from "./_gateway_served.ts";
import { printData } from "./_output.ts";
import {
  authenticationText,
  gatewayInfoObject,
  renderGatewayInfoText,
} from "./_render_gateways.ts";
import { renderJson, renderYaml } from "./_render_output.ts";

/** How long `gateway info` waits for the live gateway before showing the registration alone. */
const LIVE_TIMEOUT_MS = 2000;

/** `gateway info [name]`. */
export async function gatewayInfo(input: CommandInput): Promise<void> {
  const name = input.args.name as string | undefined;
  const { options } = input;
  const roots = cliRoots();
  const active = await resolveActiveGateway(roots, activeInputs(input));
  const target = name ?? active?.name;
  if (target === undefined) throw noActive("info");
  nameArgument(target, validateGatewayName);
  const gateway = name === undefined && active !== undefined
    ? await activeRegistration(roots, active)
    : await readGatewayMetadata(roots, target);
  const info = { gateway, active };
  const userDir = userGatewayDir(roots, target);
  const [served, check] = await Promise.all([
    servedInfo(target),
    checkGateway({
      endpoint: gateway.metadata.gateway_endpoint,
      tls: mtlsFiles(`${userDir}/mtls`),
      tokenFile: `${userDir}/${TOKEN_FILE_NAME}`,
    }, { timeoutMs: LIVE_TIMEOUT_MS }),
  ]);
  const live = check.info;
  const object = () => ({
    ...gatewayInfoObject(info),
    served: served === undefined ? null : servedRecordJson(served),
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
  if (options.output === "json") {
    printData(renderJson(object()));
  } else if (options.output === "yaml") {
    printData(await renderYaml(object()));
  } else {
    const lines = [renderGatewayInfoText(info)];
    if (served !== undefined) lines.push(renderServedText(served, effectiveUid()));
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
