/**
 * JSON values as YAML text, byte for byte as `npm:yaml` 2 writes them with its defaults (the
 * YAML 1.2 core schema, 2-space indent, lines folded at 80 columns), which earlier versions
 * printed. Written here because `npm:yaml` loads as CommonJS under Deno and no ESM package
 * writes the same text (see the README's dependency table).
 *
 * @module
 */

const STEP = "  ";
const LINE_WIDTH = 80;
const MIN_CONTENT_WIDTH = 20;
/** Double-quoted strings shorter than this keep `\n` escapes instead of folding them. */
const MIN_MULTILINE_QUOTED = 40;
/** Implicit keys longer than this are written as explicit `? key` entries. */
const MAX_IMPLICIT_KEY = 1024;

interface Context {
  /** Objects that occur more than once, by their anchor name, as npm:yaml names them. */
  anchors: Map<object, string>;
  /** Anchored objects already written in full: later occurrences are aliases (`*a1`). */
  written: Set<object>;
  indent: string;
  implicitKey: boolean;
  /** The column the scalar starts at, when it follows a key on its line. */
  indentAtStart?: number | undefined;
  /** Set for a top-level block scalar, whose lines must be indented. */
  forceBlockIndent?: boolean;
}

/**
 * The YAML document of `value` (objects, arrays, strings, numbers, booleans, null), ending
 * in a newline. Object fields whose value is `undefined` are left out; an object met again
 * is written as an alias of its first occurrence (`&a1` ... `*a1`).
 *
 * @example
 * ```ts
 * yamlText({ name: "corp", ports: [8080] }); // "name: corp\nports:\n  - 8080\n"
 * ```
 */
export function yamlText(value: unknown): string {
  const ctx = { anchors: repeatedObjects(value), written: new Set<object>() };
  return `${node(value, { ...ctx, indent: "", implicitKey: false })}\n`;
}

/** The objects `value` holds more than once, named `a1`, `a2`, ... as each is met again. */
function repeatedObjects(value: unknown): Map<object, string> {
  const seen = new Set<object>();
  const anchors = new Map<object, string>();
  const visit = (item: unknown) => {
    if (!isCollection(item)) return;
    if (seen.has(item)) {
      if (!anchors.has(item)) anchors.set(item, `a${anchors.size + 1}`);
      return;
    }
    seen.add(item);
    const record = item as Record<string, unknown>;
    const children = Array.isArray(item) ? item : Object.keys(record).map((key) => record[key]);
    children.filter((child) => child !== undefined).forEach(visit);
  };
  visit(value);
  return anchors;
}

function isAlias(value: unknown, ctx: Context): boolean {
  return isCollection(value) && ctx.written.has(value);
}

function node(value: unknown, ctx: Context): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "number") return numberText(value);
  if (typeof value === "string") return stringText(value, ctx);
  if (typeof value !== "object") throw new TypeError(`cannot write a ${typeof value} as YAML`);
  const anchor = ctx.anchors.get(value);
  if (anchor !== undefined && ctx.written.has(value)) return `*${anchor}`;
  if (anchor !== undefined) ctx.written.add(value);
  const text = Array.isArray(value)
    ? sequence(value, ctx)
    : mapping(value as Record<string, unknown>, ctx);
  if (anchor === undefined) return text;
  return text.startsWith("{") || text.startsWith("[")
    ? `&${anchor} ${text}`
    : `&${anchor}\n${ctx.indent}${text}`;
}

function numberText(value: number): string {
  if (Number.isNaN(value)) return ".nan";
  if (!Number.isFinite(value)) return value < 0 ? "-.inf" : ".inf";
  return Object.is(value, -0) ? "-0" : JSON.stringify(value);
}

function isCollection(value: unknown): value is object {
  return typeof value === "object" && value !== null;
}

function sequence(items: unknown[], ctx: Context): string {
  if (items.length === 0) return "[]";
  const itemCtx = { ...ctx, indent: ctx.indent + STEP };
  return items.map((item) => `- ${node(item, itemCtx)}`).join(`\n${ctx.indent}`);
}

function mapping(record: Record<string, unknown>, ctx: Context): string {
  const keys = Object.keys(record).filter((key) => record[key] !== undefined);
  if (keys.length === 0) return "{}";
  return keys.map((key) => pair(key, record[key], { ...ctx })).join(`\n${ctx.indent}`);
}

function pair(key: string, value: unknown, ctx: Context): string {
  const keyCtx: Context = { ...ctx, implicitKey: true, indent: ctx.indent + STEP };
  let text = stringText(key, keyCtx);
  const explicit = text.length > MAX_IMPLICIT_KEY;
  text = explicit ? `? ${text}\n${ctx.indent}:` : `${text}:`;
  const valueCtx: Context = { ...keyCtx, implicitKey: false };
  if (!explicit && !isCollection(value)) valueCtx.indentAtStart = text.length + 1;
  const alias = isAlias(value, valueCtx);
  const valueText = node(value, valueCtx);
  let gap = " ";
  if (!explicit && isCollection(value) && !alias) {
    const empty = Array.isArray(value)
      ? value.length === 0
      : Object.values(value).every((field) => field === undefined);
    const lineBreak = valueText.indexOf("\n");
    const space = valueText.indexOf(" ");
    // An anchor stays on the key's line, with the collection below it.
    const anchorLine = valueText.startsWith("&") && lineBreak !== -1 &&
      (space === -1 || lineBreak < space);
    if ((lineBreak !== -1 || !empty) && !anchorLine) gap = `\n${valueCtx.indent}`;
  } else if (valueText === "" || valueText.startsWith("\n")) {
    gap = "";
  }
  return text + gap + valueText;
}

// Strings that would read back as another type of the core schema, so must be quoted.
const OTHER_TYPES = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
// Control characters and lone surrogates can only be written escaped.
// deno-lint-ignore no-control-regex
const NEEDS_ESCAPES = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u{D800}-\u{DFFF}]/u;
/** Plain text may not start with an indicator, hold `: ` or ` #`, or end in space or `:`. */
const NOT_PLAIN =
  /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Lines that a YAML 1.1 reader would take for a document marker or directive. */
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

function stringText(value: string, ctx: Context): string {
  if (NEEDS_ESCAPES.test(value)) return doubleQuoted(value, ctx);
  return plain(value, ctx);
}

function plain(value: string, ctx: Context): string {
  const { implicitKey, indent } = ctx;
  const multiline = value.includes("\n");
  if (implicitKey && multiline) return quoted(value, ctx);
  if (NOT_PLAIN.test(value)) {
    return implicitKey || !multiline ? quoted(value, ctx) : block(value, ctx);
  }
  if (!implicitKey && multiline) return block(value, ctx);
  if (DOCUMENT_MARKER.test(value)) {
    if (indent === "") {
      ctx.forceBlockIndent = true;
      return block(value, ctx);
    }
    if (implicitKey && indent === STEP) return quoted(value, ctx);
  }
  if (OTHER_TYPES.some((type) => type.test(value))) return quoted(value, ctx);
  return implicitKey ? value : fold(value, indent, "flow", ctx.indentAtStart);
}

function quoted(value: string, ctx: Context): string {
  const hasDouble = value.includes('"');
  return hasDouble && !value.includes("'") ? singleQuoted(value, ctx) : doubleQuoted(value, ctx);
}

function singleQuoted(value: string, ctx: Context): string {
  if ((ctx.implicitKey && value.includes("\n")) || /[ \t]\n|\n[ \t]/.test(value)) {
    return doubleQuoted(value, ctx);
  }
  const indent = ctx.indent || (DOCUMENT_MARKER.test(value) ? STEP : "");
  const text = `'${value.replace(/'/g, "''").replace(/\n+/g, `$&\n${indent}`)}'`;
  return ctx.implicitKey ? text : fold(text, indent, "flow", ctx.indentAtStart);
}

/** YAML's short escapes for characters JSON writes as `\u00XX` or `\u20XX`. */
const SHORT_ESCAPES: Record<string, string> = {
  "0000": "\\0",
  "0007": "\\a",
  "000b": "\\v",
  "001b": "\\e",
  "0085": "\\N",
  "00a0": "\\_",
  "2028": "\\L",
  "2029": "\\P",
};

function doubleQuoted(value: string, ctx: Context): string {
  const json = JSON.stringify(value);
  const indent = ctx.indent || (DOCUMENT_MARKER.test(value) ? STEP : "");
  let out = "";
  let start = 0;
  for (let i = 0; i < json.length; i++) {
    let c = json[i];
    if (c === " " && json[i + 1] === "\\" && json[i + 2] === "n") {
      out += `${json.slice(start, i)}\\ `; // a space before a line break would be folded away
      i += 1;
      start = i;
      c = "\\";
    }
    if (c !== "\\") continue;
    const escaped = json[i + 1];
    if (escaped === "u") {
      out += json.slice(start, i);
      const code = json.slice(i + 2, i + 6);
      out += SHORT_ESCAPES[code] ??
        (code.startsWith("00") ? `\\x${code.slice(2)}` : json.slice(i, i + 6));
      i += 5;
      start = i + 1;
    } else if (escaped === "n") {
      if (ctx.implicitKey || json[i + 2] === '"' || json.length < MIN_MULTILINE_QUOTED) {
        i += 1;
      } else {
        // A folded line break reads as a space, so a break is written as an empty line.
        out += `${json.slice(start, i)}\n\n`;
        while (json[i + 2] === "\\" && json[i + 3] === "n" && json[i + 4] !== '"') {
          out += "\n";
          i += 2;
        }
        out += indent;
        if (json[i + 2] === " ") out += "\\"; // leading space of a line is kept escaped
        i += 1;
        start = i + 1;
      }
    } else {
      i += 1;
    }
  }
  out = start ? out + json.slice(start) : json;
  return ctx.implicitKey ? out : fold(out, indent, "quoted", ctx.indentAtStart);
}

function lineOverLimit(value: string, indentLength: number): boolean {
  const limit = LINE_WIDTH - indentLength;
  if (value.length <= limit) return false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== "\n") continue;
    if (i - start > limit) return true;
    start = i + 1;
    if (value.length - start <= limit) return false;
  }
  return true;
}

function block(text: string, ctx: Context): string {
  if (/\n[\t ]+$/.test(text)) return quoted(text, ctx); // only whitespace after the last break
  let value = text;
  const indent = ctx.indent || (ctx.forceBlockIndent || DOCUMENT_MARKER.test(value) ? STEP : "");
  const literal = !lineOverLimit(value, indent.length);
  let endStart = value.length;
  while (endStart > 0 && "\n\t ".includes(value[endStart - 1]!)) endStart--;
  let end = value.slice(endStart);
  const endBreak = end.indexOf("\n");
  const chomp = endBreak === -1 ? "-" : value === end || endBreak !== end.length - 1 ? "+" : "";
  if (end) {
    value = value.slice(0, -end.length);
    if (end.endsWith("\n")) end = end.slice(0, -1);
    end = end.replace(/(^|(?<!\n))\n+(?!\n|$)/g, `$&${indent}`);
  }
  let startsWithSpace = false;
  let startEnd = 0;
  let lastStartBreak = -1;
  for (; startEnd < value.length; startEnd++) {
    const c = value[startEnd];
    if (c === " ") startsWithSpace = true;
    else if (c === "\n") lastStartBreak = startEnd;
    else break;
  }
  let start = value.slice(0, lastStartBreak < startEnd ? lastStartBreak + 1 : startEnd);
  if (start) {
    value = value.slice(start.length);
    start = start.replace(/\n+/g, `$&${indent}`);
  }
  const header = (startsWithSpace ? (indent ? "2" : "1") : "") + chomp;
  if (!literal) {
    const folded = value
      .replace(/\n+/g, "\n$&")
      .replace(/(?:^|\n)([\t ].*)(?:([\n\t ]*)\n(?![\n\t ]))?/g, "$1$2") // more-indented lines stay
      .replace(/\n+/g, `$&${indent}`);
    let overflow = false;
    const body = fold(`${start}${folded}${end}`, indent, "block", ctx.indent.length, () => {
      overflow = true;
    });
    if (!overflow) return `>${header}\n${indent}${body}`;
  }
  return `|${header}\n${indent}${start}${value.replace(/\n+/g, `$&${indent}`)}${end}`;
}

/**
 * Breaks `text` into lines of at most {@linkcode LINE_WIDTH} columns where it may: at a space
 * between two other characters (`flow`, `block`), or anywhere with an escaped break
 * (`quoted`). `onOverflow` hears of a line that could not be broken.
 */
function fold(
  text: string,
  indent: string,
  mode: "flow" | "block" | "quoted",
  indentAtStart: number | undefined,
  onOverflow?: () => void,
): string {
  const endStep = Math.max(1 + MIN_CONTENT_WIDTH, 1 + LINE_WIDTH - indent.length);
  if (text.length <= endStep) return text;
  const folds: number[] = [];
  const escapedFolds = new Set<number>();
  let end = LINE_WIDTH - indent.length;
  if (indentAtStart !== undefined) {
    if (indentAtStart > LINE_WIDTH - Math.max(2, MIN_CONTENT_WIDTH)) folds.push(0);
    else end = LINE_WIDTH - indentAtStart;
  }
  let split: number | undefined;
  let prev: string | undefined;
  let overflow = false;
  let i = -1;
  let escStart = -1;
  let escEnd = -1;
  if (mode === "block") {
    i = moreIndentedEnd(text, i, indent.length);
    if (i !== -1) end = i + endStep;
  }
  for (let c: string | undefined; (c = text[i += 1]);) {
    if (mode === "quoted" && c === "\\") {
      escStart = i;
      const kind = text[i + 1];
      i += kind === "x" ? 3 : kind === "u" ? 5 : kind === "U" ? 9 : 1;
      escEnd = i;
    }
    if (c === "\n") {
      if (mode === "block") i = moreIndentedEnd(text, i, indent.length);
      end = i + indent.length + endStep;
      split = undefined;
    } else {
      if (c === " " && prev && prev !== " " && prev !== "\n" && prev !== "\t") {
        const next = text[i + 1];
        if (next && next !== " " && next !== "\n" && next !== "\t") split = i;
      }
      if (i >= end) {
        if (split) {
          folds.push(split);
          end = split + endStep;
          split = undefined;
        } else if (mode === "quoted") {
          while (prev === " " || prev === "\t") {
            prev = c;
            c = text[i += 1];
            overflow = true;
          }
          const at = i > escEnd + 1 ? i - 2 : escStart - 1;
          if (escapedFolds.has(at)) return text;
          folds.push(at);
          escapedFolds.add(at);
          end = at + endStep;
          split = undefined;
        } else {
          overflow = true;
        }
      }
    }
    prev = c;
  }
  if (overflow) onOverflow?.();
  if (folds.length === 0) return text;
  let out = text.slice(0, folds[0]);
  folds.forEach((at, k) => {
    const until = folds[k + 1] || text.length;
    if (at === 0) {
      out = `\n${indent}${text.slice(0, until)}`;
    } else {
      if (mode === "quoted" && escapedFolds.has(at)) out += `${text[at]}\\`;
      out += `\n${indent}${text.slice(at + 1, until)}`;
    }
  });
  return out;
}

/** Where the more-indented lines that follow position `i` end (they are never folded). */
function moreIndentedEnd(text: string, i: number, indent: number): number {
  let end = i;
  let start = i + 1;
  let c = text[start];
  while (c === " " || c === "\t") {
    if (i < start + indent) {
      c = text[++i];
    } else {
      do c = text[++i]; while (c && c !== "\n");
      end = i;
      start = i + 1;
      c = text[start];
    }
  }
  return end;
}
