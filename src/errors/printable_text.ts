/**
 * Text from files and arguments made safe to print: control characters replaced, so a
 * registry file cannot move the cursor, restyle or clear the terminal, and quotes of such
 * text cut short, so a huge file cannot flood a message.
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
