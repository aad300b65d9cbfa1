/**
 * What `gateway info [name]` does: the registration, and how it is served when it is served
 * here. Its command line is declared in `_command_tree.ts`.
 *
 * @module
 */
import { readGatewayMetadata, resolveActiveGateway, validateGatewayName } from "../registry/mod.ts";
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
import { gatewayInfoObject, renderGatewayInfoText } from "./_render_gateways.ts";
import { renderJson, renderYaml } from "./_render_output.ts";

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
  const served = await servedInfo(target);
  const object = () => ({
    ...gatewayInfoObject(info),
    served: served === undefined ? null : servedRecordJson(served),
  });
  if (options.output === "json") {
    printData(renderJson(object()));
  } else if (options.output === "yaml") {
    printData(await renderYaml(object()));
  } else {
    const text = renderGatewayInfoText(info);
    printData(served === undefined ? text : `${text}\n${renderServedText(served, effectiveUid())}`);
  }
}
