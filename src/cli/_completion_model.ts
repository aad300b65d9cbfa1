/**
 * Shell completion read off the command tree: every command path with its subcommands
 * (aliases too), options, which options take a value, and what each value or argument is
 * (a gateway name, a file, one of fixed choices). The scripts in `_completion_scripts.ts` are
 * rendered from it, so new commands and options complete without further work.
 *
 * @module
 */
import {
  argumentShape,
  type CommandSpec,
  HELP_OPTION,
  optionShape,
  type OptionSpec,
} from "./_command_spec.ts";

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
 * import { PROGRAM } from "./_command_tree.ts";
 * import { completionModel } from "./_completion_model.ts";
 * completionModel(PROGRAM).find((c) => c.path === "gateway")!.subcommands.map((s) => s.word);
 * // ["list", "ls", "add", ...]
 * ```
 */
export function completionModel(program: CommandSpec): CompletionCommand[] {
  const result: CompletionCommand[] = [];
  const walk = (command: CommandSpec, path: string, adding: boolean) => {
    const visible = (command.commands ?? []).filter((c) => !c.hidden);
    result.push({
      path,
      description: command.description,
      subcommands: visible.flatMap((c) => {
        const to = join(path, c.name);
        return [c.name, ...(c.aliases ?? [])].map((word) => ({
          word,
          path: to,
          description: c.description,
        }));
      }),
      options: [...(command.options ?? []), HELP_OPTION].filter((o) => !o.hidden).map((o) => {
        const shape = optionShape(o.flags);
        return {
          flags: [shape.short, shape.long].filter((f): f is string => f !== undefined),
          value: shape.value === undefined ? undefined : optionValue(o, adding),
          description: o === HELP_OPTION ? "display help" : o.description,
        };
      }),
      args: (command.args ?? []).map((a) =>
        a.choices
          ? { kind: "choices" as const, words: [...a.choices] }
          : GATEWAY_VALUES.has(argumentShape(a.name).name) && path.startsWith("gateway ")
          ? { kind: "gateway" as const }
          : { kind: "none" as const }
      ),
    });
    for (const child of visible) walk(child, join(path, child.name), child.name === "add");
  };
  walk(program, "", false);
  return result;
}

function optionValue(option: OptionSpec, adding: boolean): ValueKind {
  if (option.choices) return { kind: "choices", words: [...option.choices] };
  const shape = optionShape(option.flags);
  if (FILE_VALUES.test(shape.value ?? "")) return { kind: "file" };
  // A new registration's --name is a new name; elsewhere a name is an existing gateway's.
  if (GATEWAY_VALUES.has(shape.long?.replace(/^--/, "") ?? "") && !adding) {
    return { kind: "gateway" };
  }
  return { kind: "none" };
}

function join(path: string, word: string): string {
  return path === "" ? word : `${path} ${word}`;
}
