/**
 * The shape of a command declaration: one plain object per command, from which the parser
 * (`_parse_args.ts`), the help text (`_help_text.ts`) and the shell completions
 * (`_completion_model.ts`) are all derived. Nothing here runs a command.
 *
 * @module
 */

/** A value an option holds after parsing. */
export type OptionValue = string | number | boolean | undefined;

/** Where an option's value came from. */
export type ValueSource = "cli" | "env" | "default";

/** One option of a command. */
export interface OptionSpec {
  /**
   * Its spellings and value, as in `-o, --output <format>`, `--all` or `--no-activate`
   * (a lone `--no-x` is `x`, true unless given). `<value>` means the option takes a value.
   */
  flags: string;
  description: string;
  /** The only values accepted. */
  choices?: readonly string[];
  /** The value when the option is not given. */
  default?: string | number;
  /** Turns the text given into the value; throws {@linkcode InvalidValue} with the reason. */
  parse?: (text: string) => string | number;
  /** Keys of options that cannot be given together with this one. */
  conflicts?: readonly string[];
  /** The option must be given. */
  mandatory?: boolean;
  /** The environment variable that stands in when the option is not given. */
  env?: string;
  /** Left out of help and completions. */
  hidden?: boolean;
  /** This option prints the program version (the program's `-V, --version`). */
  version?: boolean;
}

/** One positional argument of a command. */
export interface ArgumentSpec {
  /** `<name>` required, `[name]` optional, `[names...]` the rest of the arguments. */
  name: string;
  description?: string;
  /** The only values accepted. */
  choices?: readonly string[];
}

/** Late facts about a command's options, by option key: what other parts of the program own. */
export type OptionFacts = Readonly<
  Record<string, Partial<Pick<OptionSpec, "choices" | "default" | "description">>>
>;

/** One command: the program itself, a group of subcommands, or a leaf that runs. */
export interface CommandSpec {
  name: string;
  aliases?: readonly string[];
  description: string;
  args?: readonly ArgumentSpec[];
  options?: readonly OptionSpec[];
  commands?: readonly CommandSpec[];
  /** Text printed after the generated help. */
  helpAfter?: string;
  /** Left out of help and completions. */
  hidden?: boolean;
  /**
   * Option facts owned by heavier modules (defaults, choices), loaded only when this command
   * is parsed, helped or completed.
   */
  facts?: () => Promise<OptionFacts>;
  /** Runs the command: loads its action module and returns the exit status (void: 0). */
  run?: (input: CommandInput) => Promise<number | void>;
}

/** The options read at one level of the command line (the program, a group, the command). */
export interface ParsedOptions {
  values: Readonly<Record<string, OptionValue>>;
  sources: Readonly<Record<string, ValueSource>>;
  /** The value of each declared environment variable that is set, by option key. */
  env: Readonly<Record<string, string>>;
}

/** What a command's `run` receives. */
export interface CommandInput {
  /** The whole command tree the command line was read against. */
  program: CommandSpec;
  /** The command that runs. */
  command: CommandSpec;
  /** Argument values by name: a list for `[names...]`, undefined when not given. */
  args: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** This command's own option values (defaults included). */
  options: Readonly<Record<string, OptionValue>>;
  /** The options of every command on the path, the program first, this command last. */
  levels: readonly ParsedOptions[];
}

/** A value given to an option or argument that it does not take. */
export class InvalidValue extends Error {}

/** The parts of an option's `flags`. */
export interface OptionShape {
  short: string | undefined;
  long: string | undefined;
  /** The value placeholder (`<format>`), undefined for a flag without value. */
  value: string | undefined;
  /** `--no-x`: sets `x` to false. */
  negate: boolean;
  /** The key of its value: `--show-origin` is `showOrigin`, `--no-activate` is `activate`. */
  key: string;
}

/**
 * Splits an option's `flags` into its spellings, value and key.
 *
 * @example
 * ```ts
 * optionShape("-o, --output <format>");
 * // { short: "-o", long: "--output", value: "<format>", negate: false, key: "output" }
 * ```
 */
export function optionShape(flags: string): OptionShape {
  const words = flags.split(/[ ,|]+/).filter((w) => w !== "");
  const value = words.find((w) => w.startsWith("<"));
  const short = words.find((w) => /^-[^-]$/.test(w));
  const long = words.find((w) => w.startsWith("--"));
  const negate = long?.startsWith("--no-") ?? false;
  const name = (long ?? short ?? "").replace(/^--?/, "").replace(negate ? /^no-/ : /^$/, "");
  const key = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return { short, long, value, negate, key };
}

/** The parts of an argument's `name`. */
export interface ArgumentShape {
  name: string;
  required: boolean;
  variadic: boolean;
}

/**
 * Reads an argument's `<name>`, `[name]` or `[names...]`.
 *
 * @example
 * ```ts
 * argumentShape("[names...]"); // { name: "names", required: false, variadic: true }
 * ```
 */
export function argumentShape(spec: string): ArgumentShape {
  const inner = spec.slice(1, -1);
  const variadic = inner.endsWith("...");
  return { name: variadic ? inner.slice(0, -3) : inner, required: spec.startsWith("<"), variadic };
}

/** The built-in help option of every command. */
export const HELP_OPTION: OptionSpec = {
  flags: "-h, --help",
  description: "display help for command",
};

/** The built-in `help [command]` of a group without its own action. */
export const HELP_COMMAND: CommandSpec = {
  name: "help",
  description: "display help for command",
  args: [{ name: "[command]" }],
};

/** Whether `command` has the built-in `help` subcommand: a group that does not run itself. */
export function hasHelpCommand(command: CommandSpec): boolean {
  return (command.commands ?? []).length > 0 && command.run === undefined &&
    !(command.commands ?? []).some((c) => c.name === "help");
}

/** `command` with `facts` merged into its options. */
export function withFacts(command: CommandSpec, facts: OptionFacts): CommandSpec {
  const options = (command.options ?? []).map((option) => {
    const late = facts[optionShape(option.flags).key];
    return late === undefined ? option : { ...option, ...late };
  });
  const { facts: _, ...rest } = command;
  return { ...rest, options };
}

/**
 * `program` with the facts of every command on `path` (the program first) merged in, so
 * that parsing and help see the final defaults and choices.
 */
export async function withPathFacts(
  program: CommandSpec,
  path: readonly CommandSpec[],
): Promise<CommandSpec> {
  const resolved = program.facts ? withFacts(program, await program.facts()) : program;
  const next = path[1];
  if (next === undefined || path[0] !== program) return resolved;
  const child = await withPathFacts(next, path.slice(1));
  if (child === next) return resolved;
  return { ...resolved, commands: resolved.commands?.map((c) => c === next ? child : c) ?? [] };
}

/** `program` with the facts of every command merged in (for completions). */
export async function withAllFacts(program: CommandSpec): Promise<CommandSpec> {
  const resolved = program.facts ? withFacts(program, await program.facts()) : program;
  if (resolved.commands === undefined) return resolved;
  return { ...resolved, commands: await Promise.all(resolved.commands.map(withAllFacts)) };
}

/** The shells with a completion script. */
export const COMPLETION_SHELLS = ["bash", "zsh", "fish"] as const;

/** One of {@linkcode COMPLETION_SHELLS}. */
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];
