/**
 * What the terminal UI draws, as plain lines: a pure function of the state and the
 * terminal size. Every line fits the width (truncated with `…`, never wrapped), and there
 * are exactly as many lines as the terminal has rows.
 *
 * @module
 */
import { fillIn, programCommand } from "../errors/mod.ts";
import { sanitize } from "../errors/mod.ts";
import { displayWidth, fit, truncate } from "./_text_width.ts";
import {
  type GatewayStatus,
  type PaneRow,
  rowDetail,
  rowStatus,
  selectedRow,
  type TermState,
} from "./term_state.ts";

/** How a line is drawn; the painter maps these to terminal attributes. */
export type LineStyle =
  | "title"
  | "header"
  | "row"
  | "cursor"
  | "problem"
  | "plain"
  | "footer"
  | "info"
  | "error";

/** Where the STATUS cell of a gateway row is, so it can be coloured. */
export interface StatusSpan {
  /** Offset in code units into `text`. */
  start: number;
  length: number;
  status: GatewayStatus | "error";
}

/** One screen line. */
export interface ScreenLine {
  text: string;
  style: LineStyle;
  status?: StatusSpan;
}

/** The terminal size in cells. */
export interface ScreenSize {
  columns: number;
  rows: number;
}

/** Lines around the gateway rows: title, blank, header above; blank, footer below. */
const CHROME_ROWS = 5;

/**
 * How many gateway rows fit on a screen of `rows` lines (the page size for PgUp/PgDn).
 *
 * @example
 * ```ts
 * import { paneHeight } from "./_screen_lines.ts";
 * paneHeight(24); // 19
 * ```
 */
export function paneHeight(rows: number): number {
  return Math.max(1, rows - CHROME_ROWS);
}

const HEADERS = { name: "NAME", type: "TYPE", source: "SOURCE", endpoint: "ENDPOINT" } as const;
const STATUS_HEADER = "STATUS";
const STATUS_WIDTH = "unreachable".length;
/** STATUS in terminals too narrow for the full words: short, still readable. */
const SHORT_STATUS: Readonly<Record<GatewayStatus | "error", string>> = {
  checking: "…",
  healthy: "ok",
  unhealthy: "bad",
  unreachable: "down",
  error: "error",
};
/** NAME and ENDPOINT need this much (4 each); below it STATUS is shortened instead. */
const MIN_FLEXIBLE = 8;
const KEY_HINTS = "↑↓/jk move  Enter select  d remove  r refresh  ? help  q quit";

const HELP_LINES = [
  "Keys",
  "  ↑ ↓ j k     move the cursor (g/Home, G/End, PgUp, PgDn)",
  "  Enter       make the selected gateway the active one (user active_gateway)",
  "  d           remove the selected user gateway, after a y/n confirmation",
  "  r           re-read the registry and check every gateway now",
  "  ?           show or leave this help",
  "  q  Ctrl-C   quit",
  "",
  "The registry is re-read every 2 s. STATUS asks gRPC Health and GetGatewayInfo",
  "(version, authentication), as NVIDIA OpenShell does, else GET <endpoint>/healthz.",
  "SOURCE is user (~/.config/openshell) or system (the system registry);",
  "system entries are read-only, a user entry of the same name shadows them.",
  "TYPE served: run on this machine by openshell serve (gateway stop/logs NAME).",
];

/**
 * Lays out the whole screen.
 *
 * @example
 * ```ts
 * import { renderScreen } from "./_screen_lines.ts";
 * import { initialState } from "./term_state.ts";
 * renderScreen(initialState("0.1.0"), { columns: 80, rows: 24 }).length; // 24
 * ```
 */
export function renderScreen(state: TermState, size: ScreenSize): ScreenLine[] {
  const width = Math.max(0, size.columns);
  const height = Math.max(0, size.rows);
  const body = bodyLines(state, width, paneHeight(height));
  const lines: ScreenLine[] = [
    { text: fit(titleText(state), width), style: "title" },
    { text: "", style: "plain" },
    ...body,
  ];
  const footer = footerLine(state, width);
  while (lines.length < height - 1) lines.push({ text: "", style: "plain" });
  lines.length = Math.max(0, Math.min(lines.length, height - 1));
  if (height > 0) lines.push(footer);
  return lines;
}

/**
 * The title bar text: product, version and the current gateway with its source and
 * status, or why there is none.
 *
 * @example
 * ```ts
 * import { titleText } from "./_screen_lines.ts";
 * import { initialState } from "./term_state.ts";
 * titleText(initialState("0.1.0")); // "openshell 0.1.0 · Reading the registry"
 * // once read: "openshell 0.1.0 · Current gateway: corp [system] (healthy)"
 * ```
 */
export function titleText(state: TermState): string {
  const product = `openshell ${state.version}`;
  const snapshot = state.snapshot;
  if (snapshot === undefined) return `${product} · Reading the registry`;
  if (snapshot.activeError !== undefined) {
    return `${product} · Current gateway: ${sanitize(snapshot.activeError)}`;
  }
  const active = snapshot.active;
  if (active === undefined) return `${product} · No gateway selected`;
  const name = sanitize(active.name);
  const via = active.reason === "flag"
    ? " via --gateway"
    : active.reason === "env"
    ? " via OPENSHELL_GATEWAY"
    : "";
  const row = snapshot.rows.find((candidate) => candidate.name === active.name);
  if (row === undefined) return `${product} · Current gateway: ${name} (not found)${via}`;
  return `${product} · Current gateway: ${name} [${row.source}] (${rowStatus(state, row)})${via}`;
}

function bodyLines(state: TermState, width: number, height: number): ScreenLine[] {
  const snapshot = state.snapshot;
  if (state.mode === "help") return HELP_LINES.map((text) => plain(text, width));
  if (snapshot === undefined) return [plain("Reading the registry…", width)];
  if (snapshot.error !== undefined) {
    return [{
      text: truncate(`Cannot read the registry: ${sanitize(snapshot.error)}`, width),
      style: "error",
    }];
  }
  if (snapshot.rows.length === 0) {
    return [
      plain("No gateways found.", width),
      plain("", width),
      plain(
        `hint: run \`${
          programCommand("gateway", "add", fillIn("<endpoint>"))
        }\`; it appears here by itself`,
        width,
      ),
    ];
  }
  const cells = snapshot.rows.map((row) => rowCells(state, row));
  // STATUS with the version and authentication outcome where NAME and ENDPOINT still fit
  // whole, else the word alone.
  const statusWidth = Math.max(STATUS_WIDTH, ...cells.map((row) => displayWidth(row[4]!)));
  const [name = 4, , , endpoint = 8] = naturalWidths(cells);
  const detailed = flexibleWidth(cells, width, statusWidth) >= name + endpoint;
  const short = !detailed && flexibleWidth(cells, width, STATUS_WIDTH) < MIN_FLEXIBLE;
  for (const [index, row] of snapshot.rows.entries()) {
    if (short) cells[index]![4] = SHORT_STATUS[rowStatus(state, row)];
    else if (!detailed) cells[index]![4] = rowStatus(state, row);
  }
  const widths = columnWidths(
    cells,
    width,
    short ? STATUS_HEADER.length : detailed ? statusWidth : STATUS_WIDTH,
  );
  const header: ScreenLine = {
    text: truncate(
      joinCells(
        "  ",
        [HEADERS.name, HEADERS.type, HEADERS.source, HEADERS.endpoint, STATUS_HEADER],
        widths,
      ),
      width,
    ),
    style: "header",
  };
  const first = state.cursor < height ? 0 : state.cursor - height + 1;
  const visible = snapshot.rows.slice(first, first + height);
  const activeName = snapshot.active?.name;
  return [
    header,
    ...visible.map((row, offset) => {
      const index = first + offset;
      const isCursor = index === state.cursor;
      const marker = `${isCursor ? ">" : " "}${row.name === activeName ? "*" : " "}`;
      const values = cells[index]!;
      const text = truncate(joinCells(marker, values, widths), width);
      const statusStart = marker.length + widths.slice(0, 4).reduce((sum, w) => sum + w + 1, 1);
      const line: ScreenLine = {
        text,
        style: isCursor ? "cursor" : row.kind === "problem" ? "problem" : "row",
      };
      if (statusStart < text.length && displayWidth(text) === text.length) {
        line.status = {
          start: statusStart,
          length: text.length - statusStart,
          status: rowStatus(state, row),
        };
      }
      return line;
    }),
  ];
}

/** NAME, TYPE, SOURCE, ENDPOINT, STATUS for one row, made safe to print. */
function rowCells(state: TermState, row: PaneRow): string[] {
  if (row.kind === "problem") {
    return [sanitize(row.name), "-", row.source, sanitize(`error: ${row.message}`), "error"];
  }
  return [
    sanitize(row.name),
    row.served ? "served" : sanitize(row.type),
    row.source,
    sanitize(row.endpoint),
    [rowStatus(state, row), sanitize(rowDetail(state, row))].filter((part) => part).join(" "),
  ];
}

/**
 * Column widths for NAME, TYPE, SOURCE, ENDPOINT, STATUS: TYPE and SOURCE keep their
 * natural width, STATUS its widest; NAME and ENDPOINT share the rest, NAME at most 40%.
 */
function columnWidths(cells: string[][], width: number, status: number): number[] {
  const [name = 4, type = 4, source = 6, endpoint = 8] = naturalWidths(cells);
  // STATUS is reserved at its widest value so the columns do not shift as answers arrive
  const flexible = flexibleWidth(cells, width, status);
  if (name + endpoint <= flexible) return [name, type, source, endpoint, status];
  const nameWidth = Math.min(name, Math.max(4, Math.floor(flexible * 0.4)));
  return [nameWidth, type, source, Math.max(4, flexible - nameWidth), status];
}

/** The room NAME and ENDPOINT share when STATUS takes `status` columns. */
function flexibleWidth(cells: string[][], width: number, status: number): number {
  const [, type = 4, source = 6] = naturalWidths(cells);
  // marker (2) + one space before each of the five columns
  return width - 2 - 5 - type - source - status;
}

function naturalWidths(cells: string[][]): number[] {
  return [HEADERS.name, HEADERS.type, HEADERS.source, HEADERS.endpoint, STATUS_HEADER]
    .map((header, column) =>
      Math.max(displayWidth(header), ...cells.map((row) => displayWidth(row[column] ?? "")))
    );
}

function joinCells(marker: string, values: string[], widths: number[]): string {
  const cells = values.map((value, column) =>
    column === values.length - 1 ? value : fit(value, widths[column] ?? 0)
  );
  return `${marker} ${cells.join(" ")}`.trimEnd();
}

function footerLine(state: TermState, width: number): ScreenLine {
  if (state.mode === "confirm-remove") {
    const name = sanitize(state.pendingRemoval ?? "");
    return { text: fit(`Remove user gateway '${name}'? y/n`, width), style: "info" };
  }
  if (state.notice !== undefined) {
    return { text: fit(sanitize(state.notice.text), width), style: state.notice.kind };
  }
  if (state.mode === "help") {
    return { text: fit("Press any key to go back", width), style: "footer" };
  }
  const row = selectedRow(state);
  const hint = row?.kind === "problem" ? `${sanitize(row.path)}` : KEY_HINTS;
  return { text: fit(hint, width), style: "footer" };
}

function plain(text: string, width: number): ScreenLine {
  return { text: truncate(text, width), style: "plain" };
}
