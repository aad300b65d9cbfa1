import { join, resolve } from "node:path";
import { type CommandResult, runCommand } from "./run_command.ts";

/** The repository root. */
export const REPO = resolve(import.meta.dirname!, "../..");
/** The CLI entry point, run exactly as users run it from source. */
export const MAIN = join(REPO, "src/main.ts");

/**
 * A throwaway set of directories standing in for every place the program reads or writes:
 * HOME, the XDG dirs and the system gateway root. Removed on dispose.
 */
export interface Sandbox extends AsyncDisposable {
  root: string;
  home: string;
  /** XDG_CONFIG_HOME; the user registry root is `${config}/openshell`. */
  config: string;
  cache: string;
  state: string;
  runtime: string;
  /** OPENSHELL_SYSTEM_GATEWAY_DIR. */
  system: string;
  /** The complete environment for a child process (nothing inherited but PATH and DENO_DIR). */
  env: Record<string, string>;
}

/** Creates a sandbox under a fresh temp dir; `mode` applies to every directory in it. */
export async function createSandbox(options: { mode?: number } = {}): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix: "openshell-test-" });
  const dir = async (name: string) => {
    const path = join(root, name);
    await Deno.mkdir(path, { recursive: true });
    if (options.mode !== undefined) await Deno.chmod(path, options.mode);
    return path;
  };
  if (options.mode !== undefined) await Deno.chmod(root, options.mode);
  const home = await dir("home");
  const config = await dir("config");
  const cache = await dir("cache");
  const state = await dir("state");
  const runtime = await dir("runtime");
  const system = join(root, "system");
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: home,
    XDG_CONFIG_HOME: config,
    XDG_CACHE_HOME: cache,
    XDG_STATE_HOME: state,
    XDG_RUNTIME_DIR: runtime,
    OPENSHELL_SYSTEM_GATEWAY_DIR: system,
    DENO_DIR: denoDir(),
    NO_COLOR: "1",
  };
  return {
    root,
    home,
    config,
    cache,
    state,
    runtime,
    system,
    env,
    async [Symbol.asyncDispose]() {
      await makeRemovable(root);
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
}

/** The Deno cache the test process uses, so children do not re-download dependencies. */
export function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  return join(Deno.env.get("HOME") ?? "/root", ".cache/deno");
}

async function makeRemovable(path: string): Promise<void> {
  const command = new Deno.Command("chmod", { args: ["-R", "u+rwX", path], stderr: "null" });
  await command.output().catch(() => {});
}

/** What a finished CLI process produced. */
export type CliResult = CommandResult;

/** Options for {@linkcode runCli}. */
export interface RunCliOptions {
  /** Extra or overriding environment variables; `undefined` values are removed. */
  env?: Record<string, string | undefined>;
  stdin?: string;
  cwd?: string;
  /** Kill the CLI and fail after this long: for commands that must not hang. */
  timeoutMs?: number;
}

/**
 * The command line that runs the CLI from source exactly as users do:
 * `deno run -A --quiet src/main.ts ...args`.
 */
export function cliArgv(args: string[]): string[] {
  return [Deno.execPath(), "run", "-A", "--quiet", MAIN, ...args];
}

/**
 * `argv` as one line for a POSIX shell, each word single-quoted: paths may hold spaces.
 *
 * @example
 * ```ts
 * shellLine(["ls", "/tmp/a b"]); // "'ls' '/tmp/a b'"
 * ```
 */
export function shellLine(argv: string[]): string {
  return argv.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(" ");
}

/**
 * The command line (for a shell, see {@linkcode shellLine}) that runs the CLI from source with
 * `args`.
 */
export function cliCommandLine(args: string[]): string {
  return shellLine(cliArgv(args));
}

/**
 * Writes at `path` an executable that runs this checkout's program (or `program`, a command
 * line running it), a stand-in for a compiled binary (install.sh runs the program it installs).
 */
export async function writeProgramLauncher(
  path: string,
  program: string[] = cliArgv([]),
): Promise<string> {
  const argv = shellLine(program);
  await Deno.writeTextFile(path, `#!/bin/sh\nexec ${argv} "$@"\n`, { mode: 0o755 });
  return path;
}

/** Runs the real CLI (`deno run -A src/main.ts ...args`) as a subprocess in `sandbox`. */
export async function runCli(
  sandbox: Sandbox,
  args: string[],
  options: RunCliOptions = {},
): Promise<CliResult> {
  const env = { ...sandbox.env };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return await runCommand(cliArgv(args), {
    env,
    cwd: options.cwd ?? sandbox.root,
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
