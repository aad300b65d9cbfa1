/**
 * The CLI's only access to the terminal: data goes to stdout, messages to stderr, colour
 * only on a terminal and never with `NO_COLOR`. Messages quote names and text from files,
 * so control characters in them are replaced and every line is capped. Command results
 * become the text of `-o table|json|yaml` here too; the YAML writer is loaded only when YAML
 * is asked for.
 *
 * @module
 */
import { asFileUserError } from "../errors/mod.ts";
import { sanitize, sanitizeLines } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";
import { CLOSED_PIPE_STATUS, writeStdio } from "./_write_stdio.ts";

/** Writes data (with a trailing newline) to stdout, control characters replaced. */
export function printData(text: string): void {
  const lines = sanitizeLines(text);
  writeStdio("stdout", lines.endsWith("\n") ? lines : `${lines}\n`);
}

/** A piece of a data line, painted in `style` when stdout takes colour. */
export interface StyledText {
  text: string;
  style?: keyof typeof CODES;
}

/**
 * Writes data lines made of pieces: each piece's control characters are replaced before it
 * is painted, so colour survives and text from files still cannot drive the terminal.
 *
 * @example
 * ```ts
 * printStyledData([[{ text: "ok", style: "green" }, { text: "  runtime youki" }]]);
 * ```
 */
export function printStyledData(lines: readonly (readonly StyledText[])[]): void {
  const text = lines.map((pieces) =>
    pieces.map(({ text, style }) =>
      style === undefined ? sanitize(text) : paint(style, sanitize(text), "stdout")
    ).join("")
  );
  writeStdio("stdout", `${text.join("\n")}\n`);
}

/** The longest message line written: far above any real one, far below a flood. */
const MAX_MESSAGE_LINE = 8192;

/** Writes a human message line to stderr. */
export function printMessage(text: string): void {
  writeStdio("stderr", `${printableLines(text)}\n`);
}

/** Writes `warning: <text>` to stderr. */
export function printWarning(text: string): void {
  writeStdio("stderr", `${paint("yellow", "warning:", "stderr")} ${printableLines(text)}\n`);
}

/** Writes `error: <text>` to stderr. */
export function printError(text: string): void {
  writeStdio("stderr", `${paint("red", "error:", "stderr")} ${printableLines(text)}\n`);
}

/**
 * Reports a failed command and returns its exit status. A UserError, or a failed file
 * operation (a full disk, a read-only filesystem, ...), is one `error:` line and its hint;
 * anything else is a bug, with its stack only when `OPENSHELL_DEBUG` is set.
 */
export function reportFailure(caught: unknown): number {
  // The reader went away: there is nobody to tell, and the shell expects SIGPIPE's status.
  if (caught instanceof Deno.errors.BrokenPipe) return CLOSED_PIPE_STATUS;
  const error = asFileUserError(caught) ?? caught;
  if (error instanceof UserError) {
    printError(error.message);
    if (error.hint) printHint(error.hint);
    return error.exitCode;
  }
  printError(error instanceof Error ? error.message : String(error));
  if (Deno.env.get("OPENSHELL_DEBUG") && error instanceof Error) printMessage(error.stack ?? "");
  else printMessage("hint: this is a bug in openshell; rerun with OPENSHELL_DEBUG=1 for details");
  return 1;
}

function printableLines(text: string): string {
  return text.split("\n").map((line) =>
    sanitize(line.length > MAX_MESSAGE_LINE ? `${line.slice(0, MAX_MESSAGE_LINE)}…` : line)
  ).join("\n");
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

/** The output formats of listing commands. */
export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
/** One of {@linkcode OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** JSON with a 2-space indent. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** YAML, as `npm:yaml` 2 writes it with its defaults. */
export async function renderYaml(value: unknown): Promise<string> {
  // Only -o yaml loads the YAML writer.
  const { yamlText } = await import("./_yaml_text.ts");
  return yamlText(value);
}

/** The formats of commands whose text report has a JSON and YAML twin. */
export const REPORT_FORMATS = ["text", "json", "yaml"] as const;
/** One of {@linkcode REPORT_FORMATS}. */
export type ReportFormat = (typeof REPORT_FORMATS)[number];

/**
 * `value` as `-o json` or `-o yaml` prints it, its own keys in snake_case (NVIDIA
 * OpenShell's convention): `cachePath` is written `cache_path`.
 */
export async function renderData(format: "json" | "yaml", value: unknown): Promise<string> {
  const data = snakeCaseKeys(value);
  return format === "yaml" ? await renderYaml(data) : renderJson(data);
}

/**
 * `value` with the keys of its objects (nested ones too) in snake_case.
 *
 * @example
 * ```ts
 * snakeCaseKeys({ manifestDigest: "sha256:…", layers: [{ mediaType: "x" }] });
 * // { manifest_digest: "sha256:…", layers: [{ media_type: "x" }] }
 * ```
 */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(snakeCaseKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
      snakeCaseKeys(inner),
    ]),
  );
}

/**
 * A borderless table: a header row and data rows, columns separated by two spaces, no
 * trailing whitespace, no colour codes. Widths account for wide characters and emoji.
 * `printable` says whether every cell is printable ASCII, when the caller has looked already.
 */
export function renderTable(head: string[], rows: string[][], printable?: boolean): string {
  const columns = head.length;
  // The usual table has full rows: it is drawn from its cells in one list.
  if (columns > 0 && rows.every((row) => row.length === columns)) {
    return renderGrid(head, rows.flat(), printable);
  }
  return measuredTable(head, rows);
}

/**
 * {@linkcode renderTable} of full rows given as one list of cells, row after row, as many to a
 * row as `head` has: a long listing needs no array per row. `printable` says whether every
 * cell is printable ASCII, when the caller has looked already.
 */
export function renderGrid(
  head: readonly string[],
  cells: readonly string[],
  printable?: boolean,
): string {
  const columns = head.length;
  printable ??= head.every(isPrintableAscii) && cells.every(isPrintableAscii);
  if (!printable) {
    const rows: string[][] = [];
    for (let i = 0; i < cells.length; i += columns) rows.push(cells.slice(i, i + columns));
    return measuredTable(head, rows);
  }
  // Printable ASCII throughout (the usual table): a cell's length is its width.
  const widths = head.map((cell) => Math.max(1, cell.length)); // one cell at least
  for (let i = 0; i < cells.length; i++) {
    const column = i % columns;
    widths[column] = Math.max(widths[column]!, cells[i]!.length);
  }
  // Each cell and its padding are appended to one text, the padding (and the gap after it)
  // made once per length. The last cell is not padded, so only a line whose last cell is
  // blank or ends in a space has any to trim.
  const padding: string[] = [];
  const last = columns - 1;
  const lineAt = (source: readonly string[], start: number): string => {
    let line = "";
    for (let column = 0; column < last; column++) {
      const cell = source[start + column]!;
      const pad = widths[column]! - cell.length;
      line += cell + (padding[pad] ??= " ".repeat(pad) + COLUMN_GAP);
    }
    const end = source[start + last]!;
    line += end;
    return end === "" || end.endsWith(" ") ? line.trimEnd() : line;
  };
  let text = lineAt(head, 0);
  for (let start = 0; start < cells.length; start += columns) text += "\n" + lineAt(cells, start);
  return text;
}

/** Whether `text` is printable ASCII only: no control character, each character one cell. */
export function isPrintableAscii(text: string): boolean {
  return PRINTABLE_ASCII.test(text);
}

/** {@linkcode renderTable} of any cells: each measured in terminal cells, line by line. */
function measuredTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const table = head.length > 0 ? [head, ...rows] : rows;
  const widths: number[] = [];
  for (const row of table) {
    for (let column = 0; column < row.length; column++) {
      widths[column] = Math.max(widths[column] ?? 1, linesWidth(row[column]!));
    }
  }
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell + " ".repeat(widths[column]! - cellWidth(cell)))
      .join(COLUMN_GAP).trimEnd();
  const out: string[] = [];
  for (const row of table) {
    if (row.length === 0) continue; // a row without cells is left out
    if (!row.some((cell) => cell.includes("\n"))) {
      out.push(line(row));
      continue;
    }
    // A cell holding a line break spans lines of its row.
    const lines = row.map((cell) => cell.split("\n"));
    const height = Math.max(...lines.map((cellLines) => cellLines.length));
    for (let i = 0; i < height; i++) out.push(line(lines.map((cellLines) => cellLines[i] ?? "")));
  }
  return out.join("\n");
}

/** The widest line of a cell. */
function linesWidth(cell: string): number {
  return cell.includes("\n") ? Math.max(...cell.split("\n").map(cellWidth)) : cellWidth(cell);
}

const COLUMN_GAP = "  ";

// Colour codes take no cells; they are stripped before measuring.
// deno-lint-ignore no-control-regex
const COLOUR_CODE = /\u001b\[(?:\d*;){0,5}\d*m/g;
/**
 * Emoji and emoji sequences (flags, keycaps, modifiers, joined sequences): two cells each, as
 * the tables of earlier versions counted them, which knew Emoji 12: newer emoji (`NEWER`)
 * take one cell, and the hand signs and figures that take skin tones take two even without
 * the emoji variation selector (`MODIFIER_BASES`).
 */
const NEWER =
  "\\u{1F6D6}-\\u{1F6DF}\\u{1F6FB}\\u{1F6FC}\\u{1F7F0}\\u{1F90C}\\u{1F972}\\u{1F977}-\\u{1F979}" +
  "\\u{1F9A3}\\u{1F9A4}\\u{1F9AB}-\\u{1F9AD}\\u{1F9CB}\\u{1F9CC}\\u{1FA74}-\\u{1FA77}\\u{1FA7B}\\u{1FA7C}" +
  "\\u{1FA83}-\\u{1FA89}\\u{1FA8F}\\u{1FA96}-\\u{1FAC6}\\u{1FACE}-\\u{1FADC}\\u{1FADF}-\\u{1FAE9}" +
  "\\u{1FAF0}-\\u{1FAF8}";
const MODIFIER_BASES =
  "\\u261D\\u26F9\\u270C\\u270D\\u{1F3CB}\\u{1F3CC}\\u{1F574}\\u{1F575}\\u{1F590}";
const ONE_EMOJI =
  `(?:(?![${NEWER}])\\p{Emoji_Presentation}|[${MODIFIER_BASES}]|\\p{Emoji}\\uFE0F)\\p{Emoji_Modifier}?`;
// Built on first use: compiling it costs more than most commands' own work.
let emoji: RegExp | undefined;
const EMOJI = () =>
  emoji ??= new RegExp(
    `\\u{1F3F4}[\\u{E0061}-\\u{E007A}]+\\u{E007F}|\\p{Regional_Indicator}{2}|[#*0-9]\\uFE0F?\\u20E3|${ONE_EMOJI}(?:\\u200D${ONE_EMOJI})*`,
    "gu",
  );

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Cells of one line of a table cell: emoji and East Asian wide characters take two. */
function cellWidth(text: string): number {
  if (isPrintableAscii(text)) return text.length; // the usual case, without the emoji search
  let width = 0;
  for (const char of text.replace(COLOUR_CODE, "").replace(EMOJI(), "  ")) {
    const code = char.codePointAt(0)!;
    if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) continue; // control characters
    if (code >= 0x300 && code <= 0x36f) continue; // combining marks
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

/** East Asian wide and fullwidth code points, as terminals draw them. */
const WIDE: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3040, 0x3247],
  [0x3250, 0x4dbf],
  [0x4e00, 0xa4c6],
  [0xa960, 0xa97c],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6b],
  [0xff01, 0xff60],
  [0xffe0, 0xffe6],
  [0x1b000, 0x1b001],
  [0x1f200, 0x1f251],
  [0x20000, 0x3fffd],
];

function isWide(code: number): boolean {
  return WIDE.some(([low, high]) => code >= low && code <= high);
}
