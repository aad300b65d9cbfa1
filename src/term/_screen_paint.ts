/**
 * Turns screen lines into one string of terminal output: each line positioned, styled and
 * cleared to its end, so a frame is drawn with a single write and never flickers.
 *
 * @module
 */
import type { LineStyle, ScreenLine, StatusSpan } from "./_screen_lines.ts";

const RESET = "\x1b[0m";
const CLEAR_TO_END = "\x1b[K";

/** Attributes that are not colour, so they are used with `NO_COLOR` too. */
const PLAIN_STYLES: Record<LineStyle, string> = {
  title: "\x1b[1;7m",
  header: "\x1b[1m",
  cursor: "\x1b[7m",
  row: "",
  problem: "",
  plain: "",
  footer: "",
  info: "\x1b[1m",
  error: "\x1b[1m",
};

const COLOR_STYLES: Record<LineStyle, string> = {
  ...PLAIN_STYLES,
  problem: "\x1b[31m",
  footer: "\x1b[2m",
  error: "\x1b[1;31m",
};

const STATUS_COLORS: Record<StatusSpan["status"], string> = {
  healthy: "\x1b[32m",
  checking: "\x1b[33m",
  unhealthy: "\x1b[31m",
  unreachable: "\x1b[31m",
  error: "\x1b[31m",
};

/**
 * The terminal output that draws `lines` from the top-left corner; `color` adds colours
 * (line attributes such as reverse video are used either way).
 *
 * @example
 * ```ts
 * import { paintScreen } from "./_screen_paint.ts";
 * paintScreen([{ text: "hi", style: "plain" }], false); // "\x1b[1;1Hhi\x1b[0m\x1b[K"
 * ```
 */
export function paintScreen(lines: ScreenLine[], color: boolean): string {
  const styles = color ? COLOR_STYLES : PLAIN_STYLES;
  return lines.map((line, index) => {
    const style = styles[line.style];
    let body = line.text;
    if (color && line.status !== undefined) {
      const { start, length, status } = line.status;
      body = line.text.slice(0, start) + STATUS_COLORS[status] +
        line.text.slice(start, start + length) + RESET + style + line.text.slice(start + length);
    }
    return `\x1b[${index + 1};1H${style}${body}${RESET}${CLEAR_TO_END}`;
  }).join("");
}
