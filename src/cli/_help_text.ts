/**
 * The `--help` text of a command, made from its declaration: usage line, description,
 * arguments, options and subcommands in aligned columns wrapped to the terminal width, then
 * the command's own closing text.
 *
 * @module
 */
import {
  argumentShape,
  type ArgumentSpec,
  type CommandSpec,
  hasHelpCommand,
  HELP_COMMAND,
  HELP_OPTION,
  type OptionSpec,
} from "./_command_spec.ts";

/** Below this many columns a description is not wrapped. */
const MIN_WRAP_WIDTH = 40;

/**
 * The help of the last command of `path` (the program first), for `width` columns.
 *
 * @example
 * ```ts
 * import { PROGRAM } from "./_command_tree.ts";
 * import { helpText } from "./_help_text.ts";
 * const gateway = PROGRAM.commands!.find((command) => command.name === "gateway")!;
 * helpText([PROGRAM, gateway], 80).split("\n")[0];
 * // "Usage: openshell gateway|gw [options] [command]"
 * ```
 */
export function helpText(path: readonly CommandSpec[], width: number): string {
  const command = path.at(-1)!;
  const args = command.args ?? [];
  const options = [...(command.options ?? []), HELP_OPTION].filter((o) => !o.hidden);
  const commands = [
    ...(command.commands ?? []).filter((c) => !c.hidden),
    ...(hasHelpCommand(command) ? [HELP_COMMAND] : []),
  ];
  const listedArgs = args.some((a) => a.description) ? args : [];
  const terms = [
    ...listedArgs.map((a) => argumentShape(a.name).name),
    ...options.map((o) => o.flags),
    ...commands.map(commandTerm),
  ];
  const termWidth = Math.max(0, ...terms.map((t) => t.length));
  const item = (term: string, description: string) =>
    formatItem(term, termWidth, description, width);
  const section = (title: string, items: string[]) => items.length ? [title, ...items, ""] : [];
  const names = path.map((c, i) =>
    i === path.length - 1 && c.aliases?.[0] ? `${c.name}|${c.aliases[0]}` : c.name
  );
  const usage = [
    "[options]",
    ...(command.commands?.length ? ["[command]"] : []),
    ...args.map((a) => a.name),
  ];
  const lines = [
    `Usage: ${[...names, ...usage].join(" ")}`,
    "",
    ...(command.description ? [boxWrap(command.description, width), ""] : []),
    ...section(
      "Arguments:",
      listedArgs.map((a) => item(argumentShape(a.name).name, argumentDescription(a))),
    ),
    ...section("Options:", options.map((o) => item(o.flags, optionDescription(o)))),
    ...section("Commands:", commands.map((c) => item(commandTerm(c), c.description))),
  ];
  const text = lines.join("\n");
  return command.helpAfter ? `${text}${command.helpAfter}\n` : text;
}

/** A subcommand as its help line names it: `list|ls [options]`, `add [options] <endpoint>`. */
function commandTerm(command: CommandSpec): string {
  const args = (command.args ?? []).map((a) => a.name).join(" ");
  return command.name + (command.aliases?.[0] ? `|${command.aliases[0]}` : "") +
    ((command.options ?? []).length ? " [options]" : "") + (args ? ` ${args}` : "");
}

function optionDescription(option: OptionSpec): string {
  const extra = [
    ...(option.mandatory ? ["required"] : []),
    ...(option.choices ? [`choices: ${option.choices.map(quote).join(", ")}`] : []),
    ...(option.default !== undefined && option.flags.includes("<")
      ? [`default: ${quote(option.default)}`]
      : []),
    ...(option.env ? [`env: ${option.env}`] : []),
  ];
  return withExtra(option.description, extra);
}

function argumentDescription(argument: ArgumentSpec): string {
  const extra = argument.choices ? [`choices: ${argument.choices.map(quote).join(", ")}`] : [];
  return withExtra(argument.description ?? "", extra);
}

const quote = (value: string | number) => JSON.stringify(value);

function withExtra(description: string, extra: string[]): string {
  if (extra.length === 0) return description;
  return description ? `${description} (${extra.join(", ")})` : `(${extra.join(", ")})`;
}

function formatItem(term: string, termWidth: number, description: string, width: number) {
  if (!description) return `  ${term}`;
  const remaining = width - termWidth - 4;
  // Text laid out by hand (an indented line) is kept as written.
  const wrapped = remaining < MIN_WRAP_WIDTH || /\n[^\S\r\n]/.test(description)
    ? description
    : boxWrap(description, remaining).replace(/\n/g, `\n${" ".repeat(termWidth + 2)}`);
  return `  ${term.padEnd(termWidth)}  ${wrapped.replace(/\n/g, "\n  ")}`;
}

/** `text` wrapped at whitespace to lines of at most `width` columns. */
function boxWrap(text: string, width: number): string {
  if (width < MIN_WRAP_WIDTH) return text;
  return text.split(/\r\n|\n/).flatMap((line) => {
    const chunks = line.match(/\s*\S+/g);
    if (chunks === null) return [""];
    const lines: string[] = [];
    let current = chunks.shift()!;
    for (const chunk of chunks) {
      if (current.length + chunk.length <= width) current += chunk;
      else {
        lines.push(current);
        current = chunk.trimStart();
      }
    }
    lines.push(current);
    return lines;
  }).join("\n");
}
