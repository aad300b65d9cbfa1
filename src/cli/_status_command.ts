/**
 * What `openshell status` does and the `-o json` object it prints.
 *
 * @module
 */
import { fillIn, programCommand } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { activeInputs, activeRegistration, cliRoots } from "./_gateway_context.ts";
import { healthHint, type HealthResult, mtlsFiles, probeHealth } from "../client/mod.ts";
import { madeByServe, resolveActiveGateway, userGatewayDir } from "../registry/mod.ts";
import { printData, printHint } from "./_output.ts";
import { activeReasonText } from "./_render_gateways.ts";
import { renderJson, renderYaml } from "./_render_output.ts";

/**
 * `status -o json`'s `status`, as NVIDIA OpenShell names it: a 2xx `/healthz` answer is
 * `connected_http` (this client does not ask gRPC), another answer `error`, none
 * `disconnected`.
 */
export const STATUS_VALUES = {
  ok: "connected_http",
  unhealthy: "error",
  unreachable: "disconnected",
} as const satisfies Record<HealthResult["status"], string>;

/** What `status -o json|yaml` reports about the active gateway. */
export interface StatusReport {
  gateway: string;
  server: string;
  source: string;
  origin: string;
  activeReason: string;
  health: HealthResult;
}

/**
 * The `status -o json` object: upstream's keys (`authentication`, `error`, `gateway`,
 * `http_status` as `"200 OK"`, `server`, `status`), `http_status` left out when nothing
 * answered, as upstream does, plus this CLI's `active_reason`, `elapsed_ms`, `origin` and `source`; keys sorted, as
 * upstream's JSON library writes them.
 *
 * @example
 * ```ts
 * import { statusObject, type StatusReport } from "./_status_command.ts";
 * function statusWord(report: StatusReport) {
 *   return statusObject(report).status; // "connected_http"
 * }
 * ```
 */
export function statusObject(report: StatusReport): Record<string, unknown> {
  const { health } = report;
  const object: Record<string, unknown> = {
    active_reason: report.activeReason,
    authentication: health.status === "unreachable"
      ? { reason: "gateway unreachable", status: "unverified" }
      : { reason: "checked over HTTP /healthz only", status: "unverified" },
    elapsed_ms: Math.round(health.elapsedMs),
    gateway: report.gateway,
    origin: report.origin,
    server: report.server,
    source: report.source,
    status: STATUS_VALUES[health.status],
  };
  // upstream's connected_http carries the gRPC error; this client does not ask gRPC at all
  object.error = health.error ?? "gRPC not checked: this client asks GET /healthz only";
  if (health.httpStatus !== null) {
    object.http_status = `${health.httpStatus} ${health.httpReason ?? ""}`.trimEnd();
  }
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a < b ? -1 : 1));
}

/**
 * `openshell status`: the active gateway, where it comes from, and whether its endpoint
 * answers `GET /healthz`. Exit 0 when it answers 2xx or when none is configured,
 * 1 when it does not answer or answers with another status.
 */
export async function showStatus(input: CommandInput): Promise<void> {
  const options = input.options as { output: string; timeout: number };
  const format = options.output === "table" ? "text" : options.output;
  const roots = cliRoots();
  const active = await resolveActiveGateway(roots, activeInputs(input));
  if (active === undefined) {
    if (format === "text") {
      printData("No gateway configured.");
      printHint(
        `run \`${programCommand("gateway", "add", fillIn("<endpoint>"))}\`, or \`${
          programCommand("serve")
        }\` to start one`,
      );
    } else await printStructured(format, { status: "not_configured" });
    return;
  }
  const gateway = await activeRegistration(roots, active);
  const mtlsDir = `${userGatewayDir(roots, active.name)}/mtls`;
  const endpoint = gateway.metadata.gateway_endpoint;
  const result = await probeHealth(endpoint, {
    timeoutMs: options.timeout,
    tls: mtlsFiles(mtlsDir),
  });
  if (format !== "text") {
    await printStructured(
      format,
      statusObject({
        gateway: active.name,
        server: endpoint,
        source: gateway.source,
        origin: gateway.metadataPath,
        activeReason: active.reason,
        health: result,
      }),
    );
  } else {
    const state = result.status === "ok"
      ? `ok (HTTP ${result.httpStatus} in ${Math.round(result.elapsedMs)} ms)`
      : `${result.status}: ${result.error}`;
    printData([
      `gateway:  ${active.name}`,
      `endpoint: ${endpoint}`,
      `source:   ${gateway.source} (${gateway.metadataPath})`,
      `active:   ${activeReasonText(active)}`,
      `health:   ${state}`,
    ].join("\n"));
  }
  if (result.status !== "ok") {
    throw new UserError(
      `Gateway '${active.name}' at ${endpoint} is ${result.status}: ${result.error}`,
      {
        hint: healthHint(result.failure, {
          name: active.name,
          endpoint,
          mtlsDir,
          madeByServe: gateway.source === "user" && await madeByServe(roots, active.name),
          remoteHost: gateway.metadata.remote_host ?? undefined,
        }),
      },
    );
  }
}

async function printStructured(format: string, value: Record<string, unknown>): Promise<void> {
  printData(format === "yaml" ? await renderYaml(value) : renderJson(value));
}
