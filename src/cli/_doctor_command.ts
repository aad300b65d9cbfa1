import { Command, Option } from "@commander-js/extra-typings";
import { resolve } from "node:path";
import { parseListenAddress } from "../container/mod.ts";
import { UsageError, UserError } from "../errors/mod.ts";
import { effectiveUid, processEnv } from "../host/mod.ts";
import { printData, printStyledData } from "./output.ts";
import { SERVE_DEFAULTS } from "../serve/mod.ts";

/** The `openshell doctor` command (also `doctor check`). */
export function doctorCommand() {
  const doctor = new Command("doctor")
    .description("Check whether this host can serve the packaged gateway, and how to fix it")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["text", "json"]).default(
        "text",
      ),
    )
    .option("-l, --listen <host:port>", "the address serve would listen on", SERVE_DEFAULTS.listen)
    .addHelpText(
      "after",
      `
Each line is ok, warn or fail, with what was found; anything not ok is followed by its
remedy. Exits 0 when serve can run here, 1 when a check failed.

Examples:
  openshell doctor
  openshell doctor check -o json`,
    )
    .action(async (options) => await runDoctor(options.output, options.listen));
  doctor.command("check")
    .description("The same checks (NVIDIA OpenShell's spelling)")
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["text", "json"]).default(
        "text",
      ),
    )
    .option("-l, --listen <host:port>", "the address serve would listen on", SERVE_DEFAULTS.listen)
    .action(async (options, command) => {
      const parent = (command.parent?.opts() ?? {}) as { output?: string; listen?: string };
      await runDoctor(
        options.output !== "text" ? options.output : parent.output ?? "text",
        options.listen !== SERVE_DEFAULTS.listen ? options.listen : parent.listen ?? options.listen,
      );
    });
  return doctor;
}

async function runDoctor(format: string, address: string): Promise<void> {
  let listen: { hostname: string; port: number };
  try {
    listen = parseListenAddress(address);
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^Invalid/, "invalid"), {
      hint: "Use HOST:PORT, e.g. --listen 127.0.0.1:8090",
    });
  }
  const { canServe, doctorChecks, readDoctorFacts } = await import("../doctor/mod.ts");
  const facts = await readDoctorFacts({
    env: processEnv,
    uid: effectiveUid(),
    binary: Deno.execPath(),
    sourceDir: Deno.build.standalone ? undefined : resolve(import.meta.dirname!, ".."),
    listen,
  });
  const checks = doctorChecks(facts);
  if (format === "json") printData(JSON.stringify(checks, null, 2));
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
