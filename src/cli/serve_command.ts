/**
 * The `openshell serve` command line for the full parser: options, help and parse errors.
 * What serve does is in `serve_action.ts`, which starts without this module when the
 * arguments are plain (see `serve_args.ts`).
 *
 * @module
 */
import { Command, CommanderError, Option } from "@commander-js/extra-typings";
import { RUNTIME_NAMES } from "../runtime/mod.ts";
import { SECCOMP_MODES, type SeccompMode } from "../container/mod.ts";
import { paint, reportFailure } from "./output.ts";
import { SERVE_DEFAULTS } from "../serve/mod.ts";
import { writeStdio } from "./_write_stdio.ts";

/** The `openshell serve` command. */
export function serveCommand() {
  return new Command("serve")
    .description(
      "Run the packaged gateway in the foreground under an OCI runtime (youki where it can run, else runc or crun), " +
        "rootless as an ordinary user, and register it as a user gateway",
    )
    .option("-n, --name <name>", "gateway name to serve and register", SERVE_DEFAULTS.name)
    .option(
      "-l, --listen <host:port>",
      "address the gateway listens on",
      SERVE_DEFAULTS.listen,
    )
    .addOption(
      new Option(
        "--runtime <name>",
        "OCI runtime to use (default: youki where it can run here, else runc, then crun)",
      ).choices(RUNTIME_NAMES),
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
    .option("--memory <size>", "the container's memory limit (K, M, G)", SERVE_DEFAULTS.memory)
    .option("--pids <n>", "most processes and threads in the container", SERVE_DEFAULTS.pids)
    .option(
      "--cpus <n>",
      "CPU time the container may use, in CPUs (0: no cap)",
      SERVE_DEFAULTS.cpus,
    )
    .addOption(
      new Option("--seccomp <profile>", "system call filter (unconfined: none, for debugging)")
        .choices(SECCOMP_MODES).default(SERVE_DEFAULTS.seccomp as SeccompMode),
    )
    .addHelpText(
      "after",
      `
Progress goes to stderr, the gateway's JSON log lines to stdout. SIGINT, SIGTERM or
SIGHUP stops the gateway (SIGKILL after 10 s, or at once on a second signal); the
container, its bundle and its secrets are removed in every outcome. The gateway stays
registered after exit.

The container runs under a seccomp filter that denies what a gateway has no use for
(namespaces, mounts, keyrings, ptrace, bpf, perf, modules, kexec); limits that the cgroup
manager cannot apply for you (rootless on cgroup v1 without delegation) are skipped with
a warning.

Examples:
  openshell serve
  openshell serve --name dev --listen 127.0.0.1:9000 --runtime runc
  openshell serve --detach   # then: openshell gateway logs local; openshell gateway stop local`,
    )
    .action(async (options, command) => {
      if (options.detach) {
        const { runServeDetached } = await import("./_serve_run.ts");
        const code = await runServeDetached({ name: options.name, args: explicitArgs(command) });
        if (code !== 0) Deno.exit(code);
        return;
      }
      // Loaded only here: the launch's modules are not for the other commands' start-up.
      const { runServe } = await import("./_serve_run.ts");
      const code = await runServe(options);
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
  const program = new Command("openshell")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => writeStdio("stdout", text),
      writeErr: (text) => writeStdio("stderr", text),
      outputError: (text, write) => write(paint("red", text, "stderr")),
    })
    .showHelpAfterError("(run with --help for usage)");
  // addCommand() does not pass exitOverride/showHelpAfterError on to a prebuilt command.
  program.addCommand(serveCommand().copyInheritedSettings(program));
  try {
    await program.parseAsync(["serve", ...args], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportFailure(error);
  }
}
