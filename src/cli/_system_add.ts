/**
 * `openshell system add` and `system select`: seeding a system registry named explicitly, for
 * installers and packages. The decisions and writes are the registry's; this file reads the
 * environment (to know the user registry it must refuse) and reports.
 *
 * @module
 */
import type { SeedWrite, SystemAddPlan, SystemSelectPlan } from "../register/mod.ts";
import { addSystemGateway, selectSystemGateway } from "../register/mod.ts";
import { effectiveUid, openshellDir, processEnv } from "../host/mod.ts";
import { UserError } from "../errors/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { printData, printMessage } from "./_output.ts";
import { renderData, type ReportFormat } from "./_output.ts";

/**
 * `system add NAME ENDPOINT --system-dir DIR [--activate] [--replace] [--dry-run] [-o json]`.
 */
export async function systemAdd(input: CommandInput): Promise<void> {
  const dryRun = input.options.dryRun === true;
  const plan = await addSystemGateway({
    name: input.args.name as string,
    endpoint: input.args.endpoint as string,
    systemDir: input.options.systemDir as string,
    activate: input.options.activate === true,
    replace: input.options.replace === true,
  }, { userRegistry: userRegistry(), dryRun });
  const output = input.options.output as ReportFormat;
  if (output !== "text") {
    printData(await renderData(output, addReport(plan, dryRun)));
    return;
  }
  const { gateway_endpoint, auth_mode } = plan.metadata;
  printMessage(
    `${VERBS[plan.registration.action][dryRun ? 1 : 0]} system gateway '${plan.name}' ` +
      `(${gateway_endpoint}, ${auth_mode}) in ${plan.registration.path}` +
      (plan.registration.action === "unchanged" ? ", as it already was" : ""),
  );
  if (plan.activation) printActivation(plan.name, plan.activation, dryRun);
}

/** `system select NAME --system-dir DIR [--dry-run] [-o json]`. */
export async function systemSelect(input: CommandInput): Promise<void> {
  const dryRun = input.options.dryRun === true;
  const plan = await selectSystemGateway({
    name: input.args.name as string,
    systemDir: input.options.systemDir as string,
  }, { userRegistry: userRegistry(), dryRun });
  const output = input.options.output as ReportFormat;
  if (output !== "text") {
    printData(await renderData(output, selectReport(plan, dryRun)));
    return;
  }
  printActivation(plan.name, plan.activation, dryRun);
}

/** Done and dry-run wording of each action. */
const VERBS = {
  create: ["Added", "Would add"],
  replace: ["Replaced", "Would replace"],
  unchanged: ["Kept", "Would keep"],
} as const;

function printActivation(name: string, write: SeedWrite, dryRun: boolean): void {
  printMessage(
    write.action === "unchanged"
      ? `'${name}' is already the system's active gateway in ${write.path}`
      : `${dryRun ? "Would make" : "Made"} '${name}' the system's active gateway in ${write.path}`,
  );
}

/** `-o json` of `system add`: fixed keys, one per line, so installers can read them with sed. */
function addReport(plan: SystemAddPlan, dryRun: boolean) {
  return {
    name: plan.name,
    system_dir: plan.systemDir,
    metadata_path: plan.registration.path,
    metadata_action: plan.registration.action,
    active_path: plan.activation?.path ?? null,
    active_action: plan.activation?.action ?? null,
    dry_run: dryRun,
    metadata: plan.metadata,
  };
}

function selectReport(plan: SystemSelectPlan, dryRun: boolean) {
  return {
    name: plan.name,
    system_dir: plan.systemDir,
    active_path: plan.activation.path,
    active_action: plan.activation.action,
    dry_run: dryRun,
  };
}

/** The user registry this process would write, refused as a system root; none without HOME. */
function userRegistry(): string | undefined {
  try {
    return openshellDir("config", processEnv, effectiveUid());
  } catch (error) {
    if (error instanceof UserError) return undefined;
    throw error;
  }
}
