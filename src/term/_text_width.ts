/**
 * Terminal cell widths of text, and fitting text into a number of cells: the terminal UI
 * never lets a line wrap, so everything it draws goes through {@linkcode truncate} or
 * {@linkcode fit}.
 *
 * @module
 */

const ELLIPSIS = "…";

/** Code point ranges that terminals draw two cells wide (East Asian wide and emoji). */
const WIDE_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f680, 0x1f6ff],
  [0x1f900, 0x1f9ff],
  [0x1fa70, 0x1faff],
  [0x20000, 0x3fffd],
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\ufe00-\ufe0f]$/u;

/** Cells one code point takes: 0 for combining marks, 2 for wide characters, else 1. */
function codePointWidth(char: string): number {
  if (ZERO_WIDTH.test(char)) return 0;
  const code = char.codePointAt(0) ?? 0;
  for (const [low, high] of WIDE_RANGES) {
    if (code >= low && code <= high) return 2;
  }
  return 1;
}

/**
 * The number of terminal cells `text` takes (control characters excluded by the caller).
 *
 * @example
 * ```ts
 * import { displayWidth } from "./_text_width.ts";
 * displayWidth("corp"); // 4
 * displayWidth("網關"); // 4
 * ```
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += codePointWidth(char);
  return width;
}

/**
 * Shortens `text` to at most `width` cells, ending in `…` when anything was cut.
 *
 * @example
 * ```ts
 * import { truncate } from "./_text_width.ts";
 * truncate("http://127.0.0.1:8080", 10); // "http://12…"
 * truncate("corp", 10); // "corp"
 * ```
 */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (displayWidth(text) <= width) return text;
  let kept = "";
  let used = 0;
  for (const char of text) {
    const cells = codePointWidth(char);
    if (used + cells > width - 1) break;
    kept += char;
    used += cells;
  }
  return kept + ELLIPSIS;
}

/**
 * Truncates `text` to `width` cells and pads it with spaces to exactly `width` cells.
 *
 * @example
 * ```ts
 * import { fit } from "./_text_width.ts";
 * fit("user", 6); // "user  "
 * ```
 */
export function fit(text: string, width: number): string {
  const cut = truncate(text, width);
  return cut + " ".repeat(Math.max(0, width - displayWidth(cut)));
}
