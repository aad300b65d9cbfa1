import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { UserError } from "../user_error.ts";
import { activeInputs, cliRoots } from "./gateway_context.ts";
import { printData, printMessage } from "./output.ts";

/** Default time `status` waits for `/healthz`. */
const DEFAULT_TIMEOUT_MS = 2000;

/**
 * The `openshell status` command: the active gateway, where it comes from, and whether its
 * endpoint answers `GET /healthz`. Exit 0 when it answers 2xx or when none is configured,
 * 1 when it does not answer or answers with another status.
 */
export function statusCommand() {
  return new Command("status")
    .description("Show the active gateway and whether it answers")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["text", "json"]).default(
        "text",
      ),
    )
    .option("--timeout <ms>", "how long to wait for the gateway", parseTimeout, DEFAULT_TIMEOUT_MS)
    .action(async (options, command) => {
      const json = options.output === "json";
      const roots = await cliRoots();
      const registry = await import("../registry/mod.ts");
      const active = await registry.resolveActiveGateway(roots, activeInputs(command));
      if (active === undefined) {
        if (json) printData(JSON.stringify({ status: "not_configured" }));
        else {
          printData("No gateway configured.");
          printMessage(
            "hint: add one with `openshell gateway add <endpoint>` or start one with `openshell serve`",
          );
        }
        return;
      }
      const gateway = await registry.readGatewayMetadata(roots, active.name).catch((error) => {
        if (!(error instanceof UserError) || active.path === undefined) throw error;
        throw new UserError(
          `Active gateway '${active.name}' from "${active.path}": ${error.message}`,
          {
            hint: "Select another with `openshell gateway select`",
          },
        );
      });
      const { probeHealth } = await import("./gateway_health.ts");
      const health = await probeHealth(gateway.metadata.gateway_endpoint, {
        timeoutMs: options.timeout,
        mtlsDir: `${registry.userGatewayDir(roots, active.name)}/mtls`,
      });
      const { activeReasonText } = await import("./render_gateways.ts");
      if (json) {
        printData(JSON.stringify(
          {
            status: health.status,
            gateway: active.name,
            source: gateway.source,
            origin: gateway.metadataPath,
            active_reason: active.reason,
            endpoint: gateway.metadata.gateway_endpoint,
            auth: registry.gatewayAuth(gateway.metadata),
            http_status: health.httpStatus,
            error: health.error,
            elapsed_ms: Math.round(health.elapsedMs),
          },
          null,
          2,
        ));
      } else {
        const state = health.status === "ok"
          ? `ok (HTTP ${health.httpStatus} in ${Math.round(health.elapsedMs)} ms)`
          : `${health.status}: ${health.error}`;
        printData([
          `gateway:  ${active.name}`,
          `endpoint: ${gateway.metadata.gateway_endpoint}`,
          `source:   ${gateway.source} (${gateway.metadataPath})`,
          `active:   ${activeReasonText(active)}`,
          `health:   ${state}`,
        ].join("\n"));
      }
      if (health.status !== "ok") {
        throw new UserError(
          `Gateway '${active.name}' at ${gateway.metadata.gateway_endpoint} is ${health.status}: ${health.error}`,
          { hint: "Check that the gateway is running (`openshell serve` starts a local one)" },
        );
      }
    });
}

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new InvalidArgumentError("expected a positive number of milliseconds");
  }
  return ms;
}
