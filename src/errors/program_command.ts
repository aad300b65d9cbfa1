/**
 * The one way a message names an `openshell` command for the user to run: every word that a
 * POSIX shell would split or expand is single-quoted, so a printed command can be pasted
 * as it is whatever the gateway's name holds. A placeholder the user fills in (`<endpoint>`)
 * is printed as it is.
 *
 * @module
 */

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
