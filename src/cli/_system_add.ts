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

/** How `system` commands report: messages on stderr, or one JSON object on stdout. */
export type SystemOutput = "text" | "json";

/** The options of `system add`, as parsed. */
export interface SystemAddOptions {
  name: string;
  endpoint: string;
  systemDir: string;
  activate: boolean;
  replace: boolean;
  dryRun: boolean;
  output: SystemOutput;
}

/** The options of `system select`, as parsed. */
export interface SystemSelectOptions {
  name: string;
  systemDir: string;
  dryRun: boolean;
  output: SystemOutput;
}

/**
 * Runs `system add NAME ENDPOINT --system-dir DIR`.
 *
 * @example
 * ```ts
 * await runSystemAdd({ name: "corp", endpoint: "gw.example.com", systemDir: "/etc/openshell",
 *   activate: true, replace: false, dryRun: false, output: "text" });
 * ```
 */
export async function runSystemAdd(options: SystemAddOptions): Promise<void> {
  const plan = await addSystemGateway(options, {
    userRegistry: userRegistry(),
    dryRun: options.dryRun,
  });
  if (options.output === "json") {
    printData(JSON.stringify(addReport(plan, options.dryRun), null, 2));
    return;
  }
  const { gateway_endpoint, auth_mode } = plan.metadata;
  printMessage(
    `${VERBS[plan.registration.action][options.dryRun ? 1 : 0]} system gateway '${plan.name}' ` +
      `(${gateway_endpoint}, ${auth_mode}) in ${plan.registration.path}` +
      (plan.registration.action === "unchanged" ? ", as it already was" : ""),
  );
  if (plan.activation) printActivation(plan.name, plan.activation, options.dryRun);
}

/**
 * Runs `system select NAME --system-dir DIR`.
 *
 * @example
 * ```ts
 * await runSystemSelect({ name: "openshell", systemDir: "/etc/openshell", dryRun: false, output: "text" });
 * ```
 */
export async function runSystemSelect(options: SystemSelectOptions): Promise<void> {
  const plan = await selectSystemGateway(options, {
    userRegistry: userRegistry(),
    dryRun: options.dryRun,
  });
  if (options.output === "json") {
    printData(JSON.stringify(selectReport(plan, options.dryRun), null, 2));
    return;
  }
  printActivation(plan.name, plan.activation, options.dryRun);
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

/** `system add` as the command tree runs it. */
export async function systemAdd(input: CommandInput): Promise<void> {
  const { systemDir, activate, replace, dryRun, output } = input.options;
  await runSystemAdd({
    name: input.args.name as string,
    endpoint: input.args.endpoint as string,
    systemDir: systemDir as string,
    activate: activate === true,
    replace: replace === true,
    dryRun: dryRun === true,
    output: output as SystemOutput,
  });
}

/** `system select` as the command tree runs it. */
export async function systemSelect(input: CommandInput): Promise<void> {
  const { systemDir, dryRun, output } = input.options;
  await runSystemSelect({
    name: input.args.name as string,
    systemDir: systemDir as string,
    dryRun: dryRun === true,
    output: output as SystemOutput,
  });
}
