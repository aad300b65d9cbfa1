/**
 * The `openshell serve` command line for the full parser: options, help and parse errors.
 * What serve does is in `serve_action.ts`, which starts without this module when the
 * arguments are plain (see `serve_args.ts`).
 *
 * @module
 */
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { RUNTIME_NAMES, type RuntimeName } from "../runtime/oci_runtime.ts";
import { paint } from "./output.ts";
import { SERVE_DEFAULTS } from "./serve_args.ts";
import { reportServeError, serve } from "./serve_action.ts";

/** The `openshell serve` command. */
export function serveCommand() {
  return new Command("serve")
    .description(
      "Run the packaged gateway in the foreground under an OCI runtime (youki by default), " +
        "rootless as an ordinary user, and register it as a user gateway",
    )
    .option("-n, --name <name>", "gateway name to serve and register", SERVE_DEFAULTS.name)
    .option(
      "-l, --listen <host:port>",
      "address the gateway listens on",
      SERVE_DEFAULTS.listen,
    )
    .addOption(
      new Option("--runtime <name>", "OCI runtime to use").choices(RUNTIME_NAMES).default(
        SERVE_DEFAULTS.runtime as RuntimeName,
      ),
    )
    .option(
      "--runtime-path <path>",
      "path of the runtime executable (default: $OPENSHELL_OCI_RUNTIME, then PATH)",
    )
    .option(
      "-d, --detach",
      "serve in the background once the gateway answers; the log goes to a file",
    )
    .option(
      "--state-dir <dir>",
      "the gateway's persistent state (default: $XDG_STATE_HOME/openshell/gateways/<name>)",
    )
    .addHelpText(
      "after",
      `
Progress goes to stderr, the gateway's JSON log lines to stdout. SIGINT, SIGTERM or
SIGHUP stops the gateway (SIGKILL after 10 s); the container, its bundle and its secrets
are removed in every outcome. The gateway stays registered after exit.

Examples:
  openshell serve
  openshell serve --name dev --listen 127.0.0.1:9000 --runtime runc
  openshell serve --detach   # then: openshell gateway logs local; openshell gateway stop local`,
    )
    .action(async (options, command) => {
      if (options.detach) {
        const { serveDetached } = await import("./serve_detach.ts");
        const code = await serveDetached(options.name, explicitArgs(command));
        if (code !== 0) Deno.exit(code);
        return;
      }
      const code = await serve(options);
      if (code !== 0) Deno.exit(code);
    });
}

/** The options given on the command line (not defaults), as arguments, without --detach. */
function explicitArgs(command: Command<[], Record<string, unknown>>): string[] {
  const args: string[] = [];
  for (const option of command.options) {
    const key = option.attributeName();
    const value = command.getOptionValue(key);
    const source = command.getOptionValueSource(key);
    if (key === "detach" || value === undefined || source === "default") continue;
    if (value === true) args.push(option.long!);
    else if (typeof value === "string") args.push(option.long!, value);
  }
  return args;
}

/**
 * Runs `openshell serve ARGS` through the full parser, without loading the rest of the CLI:
 * help, parse errors and exit statuses are those of the full CLI.
 */
export async function runServeCommand(args: string[]): Promise<number> {
  const encoder = new TextEncoder();
  const program = new Command("openshell")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void Deno.stdout.writeSync(encoder.encode(text)),
      writeErr: (text) => void Deno.stderr.writeSync(encoder.encode(text)),
      outputError: (text, write) => write(paint("red", text, "stderr")),
    })
    .showHelpAfterError("(run with --help for usage)");
  program.addCommand(serveCommand());
  try {
    await program.parseAsync(["serve", ...args], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportServeError(error);
  }
}
