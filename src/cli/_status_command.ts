/**
 * What `openshell status` does and the `-o json` object it prints, as NVIDIA OpenShell's.
 *
 * @module
 */
import { fillIn, programCommand, shellWord, UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import {
  activeInputs,
  activeRegistration,
  cliRoots,
  endpointOverride,
  endpointTarget,
  insecureAsked,
  warnInsecure,
} from "./_gateway_context.ts";
import { checkGateway, type GatewayCheck, healthHint } from "../client/mod.ts";
import {
  type GatewayEntry,
  gatewayMtlsDir,
  gatewayTokenPath,
  madeByServe,
  mtlsFilePaths,
  type RegistryRoots,
  resolveActiveGateway,
} from "../registry/mod.ts";
import { effectiveUid } from "../host/mod.ts";
import { installedSystemUnit } from "./_system_unit.ts";
import { printData, printHint } from "./_output.ts";
import { activeReasonText, authenticationText } from "./_render_gateways.ts";
import { renderJson, renderYaml } from "./_output.ts";

/** What `status -o json|yaml` reports about the active gateway. */
export interface StatusReport {
  gateway: string;
  server: string;
  source: string;
  origin: string;
  activeReason: string;
  check: GatewayCheck;
}

/**
 * The `status -o json` object: upstream's keys and values (`authentication`, `error`,
 * `gateway`, `http_status` as `"200 OK"`, `server`, `status`, `version`, each left out when
 * upstream leaves it out), plus this CLI's `active_reason`, `elapsed_ms`, `origin` and
 * `source`; keys sorted, as upstream's JSON library writes them.
 *
 * @example
 * ```ts
 * import { statusObject, type StatusReport } from "./_status_command.ts";
 * function statusWord(report: StatusReport) {
 *   return statusObject(report).status; // "connected"
 * }
 * ```
 */
export function statusObject(report: StatusReport): Record<string, unknown> {
  const { check } = report;
  const object: Record<string, unknown> = {
    active_reason: report.activeReason,
    authentication: check.authentication,
    elapsed_ms: Math.round(check.elapsedMs),
    gateway: report.gateway,
    origin: report.origin,
    server: report.server,
    source: report.source,
    status: check.status,
  };
  if (check.version !== null) object.version = check.version;
  if (check.error !== null) object.error = check.error;
  if (check.httpStatus !== null) {
    object.http_status = `${check.httpStatus} ${check.httpReason ?? ""}`.trimEnd();
  }
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => a < b ? -1 : 1));
}

/**
 * `openshell status`: the active gateway, where it comes from, and what it answers, asked
 * as upstream asks (gRPC `Health` and `GetGatewayInfo`, then `GET /healthz`). Exit 0 when it
 * is connected (over gRPC or HTTP) or when none is configured, 1 otherwise.
 */
export async function showStatus(input: CommandInput): Promise<void> {
  const options = input.options as { output: string; timeout: number };
  const format = options.output === "table" ? "text" : options.output;
  const roots = cliRoots();
  const target = await statusTarget(roots, input);
  if (target === undefined) {
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
  const { name, endpoint, registration } = target;
  const mtlsDir = registration ? gatewayMtlsDir(roots, name) : "";
  const insecure = insecureAsked(input);
  if (insecure) warnInsecure(endpoint);
  const check = await checkGateway(
    registration
      ? {
        endpoint,
        insecure,
        tls: mtlsFilePaths(mtlsDir),
        tokenFile: gatewayTokenPath(roots, name),
      }
      : { endpoint, insecure },
    { timeoutMs: options.timeout },
  );
  if (format !== "text") {
    await printStructured(
      format,
      statusObject({
        gateway: name,
        server: endpoint,
        source: target.source,
        origin: target.origin,
        activeReason: target.reason,
        check,
      }),
    );
  } else {
    const elapsed = `${Math.round(check.elapsedMs)} ms`;
    const http = `HTTP ${check.httpStatus} ${check.httpReason ?? ""}`.trimEnd();
    const state = check.status === "connected"
      ? `connected (gRPC in ${elapsed})`
      : check.status === "connected_http"
      ? `connected over HTTP only (${http} in ${elapsed}; gRPC: ${check.error})`
      : `${check.status}: ${
        check.httpStatus === null ? check.error : `${http}; gRPC: ${check.error}`
      }`;
    printData([
      `gateway:  ${name}`,
      `endpoint: ${endpoint}`,
      `source:   ${target.source} (${target.origin})`,
      `active:   ${target.reasonText}`,
      `status:   ${state}`,
      ...(check.version === null ? [] : [`version:  ${check.version}`]),
      `auth:     ${authenticationText(check)}`,
    ].join("\n"));
  }
  if (check.status !== "connected" && check.status !== "connected_http") {
    const why = check.httpStatus === null ? check.error : `HTTP ${check.httpStatus}`;
    // The package's system gateway is started by its systemd unit (root starts it).
    const unit = registration?.source === "system" ? installedSystemUnit(name) : undefined;
    const unitStart = unit === undefined
      ? undefined
      : `${effectiveUid() === 0 ? "" : "sudo "}systemctl start ${shellWord(unit)}`;
    throw new UserError(
      `Gateway '${name}' at ${endpoint} is ${check.status}: ${why}`,
      {
        hint: healthHint(check.failure, {
          name,
          endpoint,
          mtlsDir,
          unitStart,
          madeByServe: registration?.source === "user" && madeByServe(roots, name),
          remoteHost: registration?.metadata.remote_host ?? undefined,
          insecure,
        }),
      },
    );
  }
}

/** The gateway `status` asks: its name, endpoint, registration and why it was chosen. */
interface StatusTarget {
  name: string;
  endpoint: string;
  registration: Pick<GatewayEntry, "source" | "metadata"> | undefined;
  source: string;
  origin: string;
  reason: string;
  reasonText: string;
}

/**
 * What `status` asks, as upstream resolves it: `--gateway-endpoint` or
 * `OPENSHELL_GATEWAY_ENDPOINT` first (named by `-g`, else by the registration holding that
 * endpoint, the active one first, else by the endpoint itself; certificates from the
 * registration so named), then the active gateway.
 */
async function statusTarget(
  roots: RegistryRoots,
  input: CommandInput,
): Promise<StatusTarget | undefined> {
  const direct = endpointOverride(input);
  if (direct === undefined) {
    const active = await resolveActiveGateway(roots, activeInputs(input));
    if (active === undefined) return undefined;
    const gateway = await activeRegistration(roots, active);
    return {
      name: active.name,
      endpoint: gateway.metadata.gateway_endpoint,
      registration: gateway,
      source: gateway.source,
      origin: gateway.metadataPath,
      reason: active.reason,
      reasonText: activeReasonText(active),
    };
  }
  const { name, entry, origin } = await endpointTarget(
    roots,
    input,
    direct,
    activeInputs(input).flag,
  );
  const reason = direct.from === "flag" ? "endpoint_flag" : "endpoint_env";
  return {
    name,
    endpoint: direct.endpoint,
    registration: entry,
    source: entry ? entry.source : "endpoint",
    origin: entry ? entry.metadataPath : origin,
    reason,
    reasonText: `the endpoint given by ${origin}`,
  };
}

async function printStructured(format: string, value: Record<string, unknown>): Promise<void> {
  printData(format === "yaml" ? await renderYaml(value) : renderJson(value));
}
