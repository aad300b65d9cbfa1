import { Command, Option } from "@commander-js/extra-typings";
import type { SystemOutput } from "./_system_add.ts";

/** The `openshell system` command: seeding a system registry, for installers and packages. */
export function systemCommand() {
  const system = new Command("system")
    .description("Seed a system gateway registry (for installers and packages)")
    .addHelpText(
      "after",
      `
These commands write only into the system registry given with --system-dir (there is no
default, and the user registry is refused); \`openshell gateway add\` stays the way to
register your own gateways.`,
    );
  system.addCommand(
    new Command("add")
      .description("Register a gateway in a system registry")
      .argument("<name>", "gateway name: one path component")
      .argument("<endpoint>", "http(s)://host[:port]; no scheme means https://")
      .requiredOption("--system-dir <dir>", "the system registry to write (absolute path)")
      .option("--activate", "also make it the system's active gateway")
      .option("--replace", "overwrite a registration of that name with other content")
      .option("--dry-run", "check everything and report what would be written; write nothing")
      .addOption(outputOption())
      .addHelpText(
        "after",
        `
Writes <dir>/gateways/<name>/metadata.json (0644, directories 0755, atomically): the endpoint's
origin, its port, is_remote false for loopback hosts, auth_mode plaintext for http:// and mtls
otherwise. An identical registration is left as it is; one with other content is refused
without --replace. -o json reports metadata_action and active_action: create, unchanged or
replace.`,
      )
      .action(async (name, endpoint, options) => {
        const { runSystemAdd } = await import("./_system_add.ts");
        await runSystemAdd({
          name,
          endpoint,
          systemDir: options.systemDir,
          activate: options.activate === true,
          replace: options.replace === true,
          dryRun: options.dryRun === true,
          output: options.output as SystemOutput,
        });
      }),
  );
  system.addCommand(
    new Command("select")
      .description("Make a gateway registered in a system registry its active gateway")
      .argument("<name>", "gateway name, registered in <dir>/gateways/")
      .requiredOption("--system-dir <dir>", "the system registry to write (absolute path)")
      .option("--dry-run", "check everything and report what would be written; write nothing")
      .addOption(outputOption())
      .action(async (name, options) => {
        const { runSystemSelect } = await import("./_system_add.ts");
        await runSystemSelect({
          name,
          systemDir: options.systemDir,
          dryRun: options.dryRun === true,
          output: options.output as SystemOutput,
        });
      }),
  );
  return system;
}

function outputOption() {
  return new Option("-o, --output <format>", "output format").choices(["text", "json"]).default(
    "text",
  );
}
