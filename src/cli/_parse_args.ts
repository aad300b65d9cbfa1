/**
 * Reads a command line against the command tree (`_command_spec.ts`), with the rules the CLI
 * has always had: the program's options (`-g`, `--version`) anywhere before `--`; each
 * command's options before or after its arguments; `-o json`, `-o=json`, `-ojson`,
 * `--output json` and `--output=json` alike; short flags grouped (`-fn 5`); everything after
 * `--` an argument; `-h`/`--help` at any level and `help [command]` in a group; a mistyped
 * command or long option answered with the nearest spelling. Pure: it reads no files and
 * runs nothing, so every case is tested in-process.
 *
 * @module
 */
import {
  argumentShape,
  type CommandInput,
  type CommandSpec,
  hasHelpCommand,
  HELP_OPTION,
  InvalidValue,
  type OptionShape,
  optionShape,
  type OptionSpec,
  type OptionValue,
  type ParsedOptions,
  type ValueSource,
} from "./_command_spec.ts";

/** What the command line asks for. */
export type ParseOutcome =
  /** Run the last command of `path` (the program first) with `input`. */
  | { kind: "run"; path: readonly CommandSpec[]; input: CommandInput }
  /** Print the help of the last command of `path`: on stdout when asked, else on stderr (exit 2). */
  | { kind: "help"; path: readonly CommandSpec[]; asked: boolean }
  /** Print the program version. */
  | { kind: "version"; path: readonly CommandSpec[] }
  /** A usage error: `message` is its `error: ...` text (exit 2). */
  | { kind: "error"; path: readonly CommandSpec[]; message: string };

/** Looks up an environment variable. */
export type EnvLookup = (name: string) => string | undefined;

interface Level {
  command: CommandSpec;
  options: { spec: OptionSpec; shape: OptionShape }[];
  values: Record<string, OptionValue>;
  sources: Record<string, ValueSource>;
  env: Record<string, string>;
}

class Stop {
  constructor(readonly outcome: ParseOutcome) {}
}

/**
 * Reads `args` (the command line after the program name) against `program`.
 *
 * @example
 * ```ts
 * import { PROGRAM } from "./_command_tree.ts";
 * import { parseArgs } from "./_parse_args.ts";
 * const outcome = parseArgs(PROGRAM, ["gateway", "list", "-o=json"], () => undefined);
 * // { kind: "run", path: [PROGRAM, gateway, list], input: { options: { output: "json", ... } } }
 * ```
 */
export function parseArgs(
  program: CommandSpec,
  args: readonly string[],
  env: EnvLookup,
): ParseOutcome {
  try {
    return parseCommand([level(program)], [], [...args], env);
  } catch (caught) {
    if (caught instanceof Stop) return caught.outcome;
    throw caught;
  }
}

function level(command: CommandSpec): Level {
  const options = (command.options ?? []).map((spec) => ({ spec, shape: optionShape(spec.flags) }));
  const values: Record<string, OptionValue> = {};
  const sources: Record<string, ValueSource> = {};
  for (const { spec, shape } of options) {
    const lone = shape.negate && !options.some((o) => o.shape.long === `--${shape.key}`);
    const value = spec.default ?? (lone ? true : undefined);
    if (value !== undefined) {
      values[shape.key] = value;
      sources[shape.key] = "default";
    }
  }
  return { command, options, values, sources, env: {} };
}

const commandsOf = (chain: readonly Level[]) => chain.map((l) => l.command);

function fail(chain: readonly Level[], message: string): never {
  throw new Stop({ kind: "error", path: commandsOf(chain), message });
}

function help(chain: readonly Level[], asked: boolean): never {
  throw new Stop({ kind: "help", path: commandsOf(chain), asked });
}

function findCommand(command: CommandSpec, word: string | undefined): CommandSpec | undefined {
  if (!word) return undefined;
  return command.commands?.find((c) => c.name === word || (c.aliases ?? []).includes(word));
}

function parseCommand(
  chain: Level[],
  operandsBefore: string[],
  unknownBefore: string[],
  env: EnvLookup,
): ParseOutcome {
  const here = chain.at(-1)!;
  const { command } = here;
  const parsed = parseOptions(chain, unknownBefore);
  applyEnv(chain, env);
  const operands = [...operandsBefore, ...parsed.operands];
  const args = [...operands, ...parsed.unknown];
  const sub = findCommand(command, operands[0]);
  if (sub) return parseCommand([...chain, level(sub)], operands.slice(1), parsed.unknown, env);
  if (hasHelpCommand(command) && operands[0] === "help") {
    const target = findCommand(command, operands[1]);
    if (operands[1] === undefined) help(chain, true);
    if (target) help([...chain, level(target)], true);
    help(chain, false);
  }
  // A group that does not run itself shows its help when nothing follows it.
  const group = (command.commands ?? []).length > 0 && command.run === undefined;
  if (group && args.length === 0) help(chain, false);
  // Asking for help wins over every mistake found from here on.
  if (parsed.unknown.some((arg) => arg === "-h" || arg === "--help")) help(chain, true);
  checkMandatory(chain);
  checkConflicts(chain);
  if (group && operands.length > 0) unknownCommand(chain, args[0]!);
  if (parsed.unknown.length > 0) unknownOption(chain, parsed.unknown[0]!);
  return {
    kind: "run",
    path: commandsOf(chain),
    input: {
      program: chain[0]!.command,
      command,
      args: readArguments(chain, args),
      options: here.values,
      levels: chain.map((l): ParsedOptions => ({
        values: l.values,
        sources: l.sources,
        env: l.env,
      })),
    },
  };
}

const maybeOption = (arg: string) => arg.length > 1 && arg[0] === "-";

function parseOptions(chain: Level[], args: string[]): { operands: string[]; unknown: string[] } {
  const here = chain.at(-1)!;
  const operands: string[] = [];
  const unknown: string[] = [];
  let dest = operands;
  const find = (flag: string) =>
    here.options.find((o) => o.shape.short === flag || o.shape.long === flag);
  const digitFlags = chain.some((l) => l.options.some((o) => /^-\d$/.test(o.shape.short ?? "")));
  const negativeNumber = (arg: string) =>
    /^-(\d+|\d*\.\d+)([eE][+-]?\d+)?$/.test(arg) && !digitFlags;
  let group: string | undefined;
  let i = 0;
  while (i < args.length || group !== undefined) {
    const arg = group ?? args[i++]!;
    group = undefined;
    if (arg === "--") {
      if (dest === unknown) dest.push(arg);
      dest.push(...args.slice(i));
      break;
    }
    if (maybeOption(arg)) {
      const option = find(arg);
      if (option) {
        if (option.shape.value !== undefined) {
          const value = args[i++];
          if (value === undefined) {
            fail(chain, `error: option '${option.spec.flags}' argument missing`);
          }
          setOption(chain, option, value, "cli");
        } else setOption(chain, option, undefined, "cli");
        continue;
      }
    }
    // A group of short flags (`-fn5`), or a short option with its value (`-ojson`, `-o=json`).
    if (arg.length > 2 && arg[0] === "-" && arg[1] !== "-") {
      const option = find(arg.slice(0, 2));
      if (option) {
        if (option.shape.value !== undefined) {
          setOption(chain, option, arg.slice(2).replace(/^=/, ""), "cli");
        } else {
          setOption(chain, option, undefined, "cli");
          group = `-${arg.slice(2)}`;
        }
        continue;
      }
    }
    if (/^--[^=]+=/.test(arg)) {
      const at = arg.indexOf("=");
      const option = find(arg.slice(0, at));
      if (option?.shape.value !== undefined) {
        setOption(chain, option!, arg.slice(at + 1), "cli");
        continue;
      }
      if (option !== undefined) {
        const text = arg.slice(at + 1);
        setFlag(
          chain,
          option,
          text,
          "cli",
          `error: option '${arg.slice(0, at)}' takes no value (or =true, =false); got '${text}'`,
        );
        continue;
      }
    }
    // Not an option of this command: an argument, a subcommand, or an option for a subcommand;
    // after an unknown option the rest is left for the subcommand to read.
    const leaf = (here.command.commands ?? []).length === 0;
    if (dest === operands && maybeOption(arg) && !(leaf && negativeNumber(arg))) dest = unknown;
    dest.push(arg);
  }
  return { operands, unknown };
}

function setOption(
  chain: Level[],
  option: { spec: OptionSpec; shape: OptionShape },
  text: string | undefined,
  source: ValueSource,
): void {
  const here = chain.at(-1)!;
  const { spec, shape } = option;
  if (spec.version) throw new Stop({ kind: "version", path: commandsOf(chain) });
  let value: OptionValue;
  if (shape.value === undefined) value = !shape.negate;
  else {
    const invalid = source === "env"
      ? `error: option '${spec.flags}' value '${text}' from env '${spec.env}' is invalid.`
      : `error: option '${spec.flags}' argument '${text}' is invalid.`;
    value = checkedValue(chain, spec, text!, invalid);
  }
  here.values[shape.key] = value;
  here.sources[shape.key] = source;
}

/**
 * `true` or `false` for an option without value (`--flag=true`, or its variable, as upstream's
 * CLI reads it); any other text is refused with `invalid`.
 */
function setFlag(
  chain: Level[],
  option: { spec: OptionSpec; shape: OptionShape },
  text: string,
  source: ValueSource,
  invalid: string,
): void {
  if (text !== "true" && text !== "false") fail(chain, invalid);
  setOption(chain, option, undefined, source);
  if (text === "false") chain.at(-1)!.values[option.shape.key] = option.shape.negate;
}

function checkedValue(
  chain: Level[],
  spec: { choices?: readonly string[]; parse?: (text: string) => string | number },
  text: string,
  invalid: string,
): string | number {
  if (spec.choices && !spec.choices.includes(text)) {
    fail(chain, `${invalid} Allowed choices are ${spec.choices.join(", ")}.`);
  }
  if (spec.parse === undefined) return text;
  try {
    return spec.parse(text);
  } catch (error) {
    if (!(error instanceof InvalidValue)) throw error;
    fail(chain, `${invalid} ${error.message}`);
  }
}

function applyEnv(chain: Level[], env: EnvLookup): void {
  const here = chain.at(-1)!;
  for (const option of here.options) {
    if (option.spec.env === undefined) continue;
    const value = env(option.spec.env);
    if (value === undefined) continue;
    const { key } = option.shape;
    here.env[key] = value;
    if (here.values[key] !== undefined && here.sources[key] === "cli") continue;
    if (option.shape.value !== undefined) setOption(chain, option, value, "env");
    else {
      setFlag(
        chain,
        option,
        value,
        "env",
        `error: option '${option.spec.flags}' value '${value}' from env '${option.spec.env}' is invalid. Allowed choices are true, false.`,
      );
    }
  }
}

function checkMandatory(chain: Level[]): void {
  for (const l of [...chain].reverse()) {
    for (const { spec, shape } of l.options) {
      if (spec.mandatory && l.values[shape.key] === undefined) {
        fail(chain, `error: required option '${spec.flags}' not specified`);
      }
    }
  }
}

function checkConflicts(chain: Level[]): void {
  for (const l of [...chain].reverse()) {
    const given = l.options.filter((o) =>
      l.values[o.shape.key] !== undefined && l.sources[o.shape.key] !== "default"
    );
    const name = (o: { spec: OptionSpec; shape: OptionShape }) =>
      l.sources[o.shape.key] === "env"
        ? `environment variable '${o.spec.env}'`
        : `option '${o.spec.flags}'`;
    for (const option of given) {
      const other = given.find((g) => (option.spec.conflicts ?? []).includes(g.shape.key));
      if (other) fail(chain, `error: ${name(option)} cannot be used with ${name(other)}`);
    }
  }
}

function unknownOption(chain: Level[], flag: string): never {
  let suggestion = "";
  if (flag.startsWith("--")) {
    const longs = [...chain].reverse().flatMap((l) =>
      [...l.options.map((o) => o.spec), HELP_OPTION].filter((o) => !o.hidden)
        .map((o) => optionShape(o.flags).long).filter((f): f is string => f !== undefined)
    );
    suggestion = suggestSimilar(flag, longs);
  }
  fail(chain, `error: unknown option '${flag}'${suggestion}`);
}

function unknownCommand(chain: Level[], word: string): never {
  const { command } = chain.at(-1)!;
  const names = (command.commands ?? []).filter((c) => !c.hidden).flatMap((c) =>
    c.aliases?.[0] ? [c.name, c.aliases[0]] : [c.name]
  );
  if (hasHelpCommand(command)) names.push("help");
  fail(chain, `error: unknown command '${word}'${suggestSimilar(word, names)}`);
}

function readArguments(
  chain: Level[],
  args: string[],
): Record<string, string | readonly string[] | undefined> {
  const here = chain.at(-1)!;
  const specs = (here.command.args ?? []).map((spec) => ({
    spec,
    shape: argumentShape(spec.name),
  }));
  specs.forEach(({ shape }, i) => {
    if (shape.required && args[i] === undefined) {
      fail(chain, `error: missing required argument '${shape.name}'`);
    }
  });
  if (!specs.at(-1)?.shape.variadic && args.length > specs.length) {
    const expected = `${specs.length} argument${specs.length === 1 ? "" : "s"}`;
    const where = chain.length > 1 ? ` for '${here.command.name}'` : "";
    fail(
      chain,
      `error: too many arguments${where}. Expected ${expected} but got ${args.length}: ${
        args.join(", ")
      }.`,
    );
  }
  const check =
    (spec: { name: string; choices?: readonly string[] }, name: string) => (text: string) =>
      checkedValue(
        chain,
        spec,
        text,
        `error: command-argument value '${text}' is invalid for argument '${name}'.`,
      ) as string;
  const values: Record<string, string | readonly string[] | undefined> = {};
  specs.forEach(({ spec, shape }, i) => {
    const read = check(spec, shape.name);
    if (shape.variadic) values[shape.name] = args.slice(i).map(read);
    else values[shape.name] = args[i] === undefined ? undefined : read(args[i]!);
  });
  return values;
}

const MAX_DISTANCE = 3;

/** The Damerau-Levenshtein distance of `a` and `b`, capped for very different lengths. */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > MAX_DISTANCE) return Math.max(a.length, b.length);
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) d[i] = [i];
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let j = 1; j <= b.length; j++) {
    for (let i = 1; i <= a.length; i++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i]!;
      row[j] = Math.min(d[i - 1]![j]! + 1, row[j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * `\n(Did you mean X?)` for the candidates nearest to a mistyped `word`, or `""`.
 *
 * @example
 * ```ts
 * suggestSimilar("gatway", ["gateway", "status"]); // "\n(Did you mean gateway?)"
 * ```
 */
export function suggestSimilar(word: string, candidates: readonly string[]): string {
  const options = word.startsWith("--");
  const strip = (text: string) => options ? text.slice(2) : text;
  const typed = strip(word);
  let similar: string[] = [];
  let best = MAX_DISTANCE;
  for (const candidate of new Set(candidates.map(strip))) {
    if (candidate.length <= 1) continue;
    const distance = editDistance(typed, candidate);
    const length = Math.max(typed.length, candidate.length);
    if ((length - distance) / length <= 0.4) continue;
    if (distance < best) [best, similar] = [distance, [candidate]];
    else if (distance === best) similar.push(candidate);
  }
  similar.sort((a, b) => a.localeCompare(b));
  const words = similar.map((s) => options ? `--${s}` : s);
  if (words.length > 1) return `\n(Did you mean one of ${words.join(", ")}?)`;
  return words.length === 1 ? `\n(Did you mean ${words[0]}?)` : "";
}
