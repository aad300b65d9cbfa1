/**
 * The CLI's only access to the terminal: data goes to stdout, messages to stderr, colour
 * only on a terminal and never with `NO_COLOR`.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Writes data (with a trailing newline) to stdout. */
export function printData(text: string): void {
  writeAll(Deno.stdout, text.endsWith("\n") ? text : `${text}\n`);
}

/** Writes a human message line to stderr. */
export function printMessage(text: string): void {
  writeAll(Deno.stderr, `${text}\n`);
}

/** Writes `warning: <text>` to stderr. */
export function printWarning(text: string): void {
  printMessage(`${paint("yellow", "warning:", "stderr")} ${text}`);
}

function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) written += stream.writeSync(bytes.subarray(written));
}

/** Whether colour may be used on `stream`: a terminal, and `NO_COLOR` unset or empty. */
export function colorEnabled(stream: "stdout" | "stderr"): boolean {
  if (Deno.env.get("NO_COLOR")) return false;
  return (stream === "stdout" ? Deno.stdout : Deno.stderr).isTerminal();
}

const CODES = { red: 31, green: 32, yellow: 33, bold: 1, dim: 2 } as const;

/** Wraps `text` in an ANSI style when colour is enabled on `stream`. */
export function paint(style: keyof typeof CODES, text: string, stream: "stdout" | "stderr") {
  return colorEnabled(stream) ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

/** Whether stdin and stdout are both terminals, i.e. the user can answer a prompt. */
export function interactive(): boolean {
  return Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
}

/**
 * A `hint:` line, written one way: the hint starts in lower case (`hint: run ...`).
 *
 * @example
 * ```ts
 * hintLine("Run `openshell gateway list`"); // "hint: run `openshell gateway list`"
 * ```
 */
export function hintLine(hint: string): string {
  return `hint: ${hint.replace(/^[A-Z](?![A-Z_])/, (c) => c.toLowerCase())}`;
}

/** Writes {@linkcode hintLine} to stderr. */
export function printHint(hint: string): void {
  printMessage(hintLine(hint));
}
