/**
 * What `openshell doctor` (and `doctor check`) does: read the host's facts, print each
 * check with its remedy, and fail when serve cannot run here.
 *
 * @module
 */
import { canServe, doctorChecks, readDoctorFacts } from "../doctor/mod.ts";
import { UserError } from "../errors/mod.ts";
import { effectiveUid, processEnv, sourceDir } from "../host/mod.ts";
import { readListen } from "../serve/mod.ts";
import type { CommandInput } from "./_command_spec.ts";
import { printData, printStyledData } from "./_output.ts";
import { renderData } from "./_output.ts";

/** `openshell doctor`. */
export async function doctor(input: CommandInput): Promise<void> {
  const options = input.options as { output: string; listen: string };
  await runDoctor(options.output, options.listen);
}

/** `openshell doctor check`: its own options, else those given to `doctor`. */
export async function doctorCheck(input: CommandInput): Promise<void> {
  const own = input.levels.at(-1)!;
  const parent = input.levels.at(-2)!.values as { output?: string; listen?: string };
  const options = input.options as { output: string; listen: string };
  await runDoctor(
    options.output !== "text" ? options.output : parent.output ?? "text",
    own.sources.listen !== "default" ? options.listen : parent.listen ?? options.listen,
  );
}

async function runDoctor(format: string, address: string): Promise<void> {
  const listen = readListen(address);
  const facts = await readDoctorFacts({
    env: processEnv,
    uid: effectiveUid(),
    binary: Deno.execPath(),
    sourceDir: sourceDir(),
    listen,
  });
  const checks = doctorChecks(facts);
  if (format === "json" || format === "yaml") printData(await renderData(format, checks));
  else {
    const width = Math.max(...checks.map((c) => c.check.length));
    printStyledData(checks.flatMap((c) => {
      const style = c.status === "ok" ? "green" : c.status === "warn" ? "yellow" : "red";
      const line = [
        { text: c.status.padEnd(4), style } as const,
        { text: `  ${c.check.padEnd(width)}  ${c.found}` },
      ];
      return c.remedy === null
        ? [line]
        : [line, [{ text: `      ${" ".repeat(width)}  fix: ${c.remedy}` }]];
    }));
  }
  if (!canServe(checks)) {
    const failed = checks.filter((c) => c.status === "fail").map((c) => c.check);
    throw new UserError(`serve cannot run here: ${failed.join(", ")}`);
  }
}
