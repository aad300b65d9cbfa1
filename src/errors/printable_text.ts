/**
 * Text from files and arguments made safe to print: control characters replaced, so a
 * registry file cannot move the cursor, restyle or clear the terminal, and quotes of such
 * text cut short, so a huge file cannot flood a message. And the one way a message names an
 * `openshell` command for the user to run: every word that a POSIX shell would split or
 * expand is single-quoted, so a printed command can be pasted as it is whatever the gateway's
 * name holds; a placeholder the user fills in (`<endpoint>`) is printed as it is.
 *
 * @module
 */

// Matching control characters is the point: they are what must never reach the terminal.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/gu;
// Looked for first: a test costs less than a replacement, and text seldom holds any.
const HAS_CONTROL = new RegExp(CONTROL.source, "u");

/** The most of a file's content or a name that a message quotes. */
export const MAX_QUOTED_CHARS = 80;

/**
 * Replaces control characters (escape sequences, newlines, tabs) with `?`.
 *
 * @example
 * ```ts
 * import { sanitize } from "./mod.ts";
 * sanitize("evil\x1b[2Jname"); // "evil?[2Jname"
 * ```
 */
export function sanitize(text: string): string {
  return HAS_CONTROL.test(text) ? text.replace(CONTROL, "?") : text;
}

// The same, but line breaks are kept.
// deno-lint-ignore no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/gu;
const HAS_CONTROL_BUT_NEWLINE = new RegExp(CONTROL_BUT_NEWLINE.source, "u");

/**
 * {@linkcode sanitize} for each line of `text`: the line breaks stay, in one pass over the
 * text.
 *
 * @example
 * ```ts
 * import { sanitizeLines } from "./mod.ts";
 * sanitizeLines("a\x1b[2J\nb"); // "a?[2J\nb"
 * ```
 */
export function sanitizeLines(text: string): string {
  return HAS_CONTROL_BUT_NEWLINE.test(text) ? text.replace(CONTROL_BUT_NEWLINE, "?") : text;
}

/**
 * `text` as a message quotes it: control characters escaped (`\x1b`), and cut to
 * {@linkcode MAX_QUOTED_CHARS} characters with `…` and the full length when longer.
 *
 * @example
 * ```ts
 * import { quoted } from "./mod.ts";
 * quoted("a\x1b[2Jb"); // "a\\x1b[2Jb"
 * quoted("x".repeat(1000)); // 80 x's, then "…(1000 characters)"
 * ```
 */
export function quoted(text: string, max: number = MAX_QUOTED_CHARS): string {
  const escaped = text.replace(
    CONTROL,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  if (escaped.length <= max) return escaped;
  return `${escaped.slice(0, max)}…(${text.length} characters)`;
}

/** A word the user fills in before running the command (`<endpoint>`), printed as it is. */
export interface Placeholder {
  placeholder: string;
}

/** A word of a printed command: literal text (quoted as needed) or a placeholder. */
export type CommandWord = string | Placeholder;

/**
 * A placeholder word, printed as it is: the parts to fill in are between `<` and `>`.
 *
 * @example
 * ```ts
 * programCommand("gateway", "add", fillIn("<endpoint>")); // "openshell gateway add <endpoint>"
 * ```
 */
export function fillIn(text: string): Placeholder {
  return { placeholder: text };
}

/**
 * `word` as one POSIX shell word: as it is when it has only characters no shell treats
 * specially, else in single quotes (a `'` inside written as `'\''`).
 *
 * @example
 * ```ts
 * shellWord("ux s4"); // "'ux s4'"
 * shellWord("it's"); // "'it'\\''s'"
 * shellWord("dev"); // "dev"
 * ```
 */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The `openshell` command line made of `words`, each quoted for a POSIX shell.
 *
 * @example
 * ```ts
 * programCommand("gateway", "stop", "ux s4"); // "openshell gateway stop 'ux s4'"
 * ```
 */
export function programCommand(...words: CommandWord[]): string {
  const text = words.map((word) => typeof word === "string" ? shellWord(word) : word.placeholder);
  return ["openshell", ...text].join(" ");
}
