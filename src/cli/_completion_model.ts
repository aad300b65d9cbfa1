/**
 * Shell completion read off the command tree: every command path with its subcommands
 * (aliases too), options, which options take a value, and what each value or argument is
 * (a gateway name, a file, one of fixed choices). The scripts in `completion_scripts.ts` are
 * rendered from it, so new commands and options complete without further work.
 *
 * @module
 */
/** The parts of a commander command the model reads. */
export interface CommandNode {
  name(): string;
  aliases(): string[];
  description(): string;
  readonly commands: readonly CommandNode[];
  readonly options: readonly {
    short?: string | undefined;
    long?: string | undefined;
    flags: string;
    description: string;
    required: boolean;
    optional: boolean;
    hidden: boolean;
    argChoices?: string[] | undefined;
  }[];
  readonly registeredArguments: readonly { name(): string; argChoices?: string[] | undefined }[];
}

/** What a value completes to: registered gateway names, file names, fixed words, nothing. */
export type ValueKind =
  | { kind: "gateway" }
  | { kind: "file" }
  | { kind: "choices"; words: string[] }
  | { kind: "none" };

/** One option of a command. */
export interface CompletionOption {
  /** `-o`, `--output`: every spelling. */
  flags: string[];
  /** `undefined` for a flag without value. */
  value: ValueKind | undefined;
  description: string;
}

/** One command path (`""` for the program, `"gateway stop"` for a subcommand). */
export interface CompletionCommand {
  path: string;
  description: string;
  /** Subcommand spellings (names and aliases) to the canonical path they lead to. */
  subcommands: { word: string; path: string; description: string }[];
  options: CompletionOption[];
  /** The positional arguments in order. */
  args: ValueKind[];
}

/** Option and argument names that hold a registered gateway's name. */
const GATEWAY_VALUES = new Set(["gateway", "name"]);
/** Value placeholders that are paths. */
const FILE_VALUES = /^[<[](file|path|dir)[>\]]$/;

/**
 * Every command path of `program`, the program first, depth first.
 *
 * @example
 * ```ts
 * completionModel(buildProgram() as unknown as CommandNode).find((c) => c.path === "gateway")!.subcommands.map((s) => s.word);
 * // ["list", "ls", "add", ...]
 * ```
 */
export function completionModel(program: CommandNode): CompletionCommand[] {
  const result: CompletionCommand[] = [];
  const walk = (command: CommandNode, path: string, adding: boolean) => {
    // Commands hidden from help (commander keeps that flag private) are left out here too.
    const visible = command.commands.filter((c) => !(c as { _hidden?: boolean })._hidden);
    result.push({
      path,
      description: command.description(),
      subcommands: visible.flatMap((c) => {
        const to = join(path, c.name());
        return [c.name(), ...c.aliases()].map((word) => ({
          word,
          path: to,
          description: c.description(),
        }));
      }),
      options: [
        ...command.options.filter((o) => !o.hidden).map((o) => ({
          flags: [o.short, o.long].filter((f): f is string => f !== undefined),
          value: o.required || o.optional ? optionValue(o, adding) : undefined,
          description: o.description,
        })),
        { flags: ["-h", "--help"], value: undefined, description: "display help" },
      ],
      args: command.registeredArguments.map((a) =>
        a.argChoices
          ? { kind: "choices" as const, words: [...a.argChoices] }
          : GATEWAY_VALUES.has(a.name()) && path.startsWith("gateway ")
          ? { kind: "gateway" as const }
          : { kind: "none" as const }
      ),
    });
    for (const child of visible) walk(child, join(path, child.name()), child.name() === "add");
  };
  walk(program, "", false);
  return result;
}

function optionValue(
  option: { long?: string | undefined; flags: string; argChoices?: string[] | undefined },
  adding: boolean,
): ValueKind {
  if (option.argChoices) return { kind: "choices", words: [...option.argChoices] };
  const placeholder = option.flags.split(/[ ,]+/).at(-1) ?? "";
  if (FILE_VALUES.test(placeholder)) return { kind: "file" };
  const name = option.long?.replace(/^--/, "") ?? "";
  // A new registration's --name is a new name; elsewhere a name is an existing gateway's.
  if (GATEWAY_VALUES.has(name) && !adding) return { kind: "gateway" };
  return { kind: "none" };
}

function join(path: string, word: string): string {
  return path === "" ? word : `${path} ${word}`;
}
