/**
 * The terminal UI's state and the pure reducer that changes it: every key press, registry
 * read and health result goes through {@linkcode reduce}, which returns the next state and
 * at most one effect for the caller to carry out (select, remove, refresh, quit).
 *
 * @module
 */
import type { GatewayHealth, HealthVerdict } from "../client/mod.ts";
import type { GatewayTls } from "../client/mod.ts";

/** Where a registry entry comes from. */
export type GatewaySource = "user" | "system";

/** What the gateway check said, as one word: `checking` until the first answer. */
export type GatewayStatus = "checking" | HealthVerdict;

/** A registered gateway, as the pane shows it. */
export interface PaneGateway {
  kind: "gateway";
  name: string;
  /** `local`, `remote` or `cloud`. */
  type: string;
  source: GatewaySource;
  endpoint: string;
  /** TLS material for health checks (mTLS gateways). */
  tls?: GatewayTls | undefined;
  /** The API token file, for a gateway served here with `--auth token`. */
  tokenFile?: string | undefined;
  /** Served on this machine (by `openshell serve`), so `gateway stop`/`logs` apply. */
  served?: boolean;
}

/** A registry entry whose metadata cannot be read, shown as an error row. */
export interface PaneProblem {
  kind: "problem";
  name: string;
  source: GatewaySource;
  path: string;
  message: string;
}

/** One row of the gateway pane. */
export type PaneRow = PaneGateway | PaneProblem;

/** Why a gateway is the active one. */
export type ActiveReason = "flag" | "env" | "user" | "system";

/** One read of the registry: its rows (sorted by name) and the active gateway. */
export interface RegistrySnapshot {
  rows: PaneRow[];
  /** The active gateway, when one is configured and resolves. */
  active: { name: string; reason: ActiveReason } | undefined;
  /** Why the active gateway could not be decided (for example it names a missing gateway). */
  activeError: string | undefined;
  /** Why the registry could not be read at all. */
  error: string | undefined;
}

/** A one-line message in the footer. */
export interface Notice {
  kind: "info" | "error";
  text: string;
}

/** Everything the screen shows. */
export interface TermState {
  version: string;
  /** `undefined` until the registry has been read once. */
  snapshot: RegistrySnapshot | undefined;
  /** Health by registration ({@linkcode rowKey}): registrations sharing an endpoint may differ. */
  health: Readonly<Record<string, GatewayHealth>>;
  /** Index of the selected row. */
  cursor: number;
  mode: "browse" | "help" | "confirm-remove";
  /** The user entry awaiting a yes/no in `confirm-remove` mode. */
  pendingRemoval: string | undefined;
  notice: Notice | undefined;
}

/**
 * A key press, by name: `up`, `down`, `home`, `end`, `pageup`, `pagedown`, `enter`,
 * `escape`, `ctrl-c`, or the printable character itself (`j`, `?`, `q`, ...).
 */
export type Key = string;

/** What can happen to the state. */
export type TermAction =
  | { type: "key"; key: Key; pageSize: number }
  | { type: "registry"; snapshot: RegistrySnapshot }
  | { type: "health"; key: string; health: GatewayHealth }
  | { type: "notice"; notice: Notice | undefined };

/**
 * Work the reducer asks for. `remove` with `confirmed: false` is a system entry: the caller
 * asks the registry anyway, so the refusal carries the registry's own message.
 */
export type TermEffect =
  | { kind: "quit" }
  | { kind: "refresh" }
  | { kind: "select"; name: string }
  | { kind: "remove"; name: string; confirmed: boolean };

/** The next state and the effect to carry out, if any. */
export interface Reduction {
  state: TermState;
  effect: TermEffect | undefined;
}

/**
 * The state before anything has been read.
 *
 * @example
 * ```ts
 * import { initialState } from "./term_state.ts";
 * initialState("0.1.0").mode; // "browse"
 * ```
 */
export function initialState(version: string): TermState {
  return {
    version,
    snapshot: undefined,
    health: {},
    cursor: 0,
    mode: "browse",
    pendingRemoval: undefined,
    notice: undefined,
  };
}

/** The row under the cursor, if any. */
export function selectedRow(state: TermState): PaneRow | undefined {
  return state.snapshot?.rows[state.cursor];
}

/**
 * The key of a registration's health: its layer and name.
 *
 * @example
 * ```ts
 * import { rowKey } from "./term_state.ts";
 * rowKey({ source: "system", name: "corp" }); // "system/corp"
 * ```
 */
export function rowKey(row: Pick<PaneRow, "source" | "name">): string {
  return `${row.source}/${row.name}`;
}

/**
 * The version and authentication outcome the row's gateway reported, when gRPC answered
 * (`0.1.0 authenticated`); empty otherwise.
 *
 * @example
 * ```ts
 * import { initialState, rowDetail } from "./term_state.ts";
 * rowDetail(initialState("0.1.0"), { kind: "gateway", name: "a", type: "local", source: "user", endpoint: "http://x" });
 * // ""
 * ```
 */
export function rowDetail(state: TermState, row: PaneRow): string {
  if (row.kind === "problem") return "";
  const health = state.health[rowKey(row)];
  if (!health) return "";
  const auth = health.auth?.replace("_", " ");
  return [health.version, auth].filter((part) => part).join(" ");
}

/**
 * The status shown for a row: `error` for unreadable entries, else its registration's health.
 *
 * @example
 * ```ts
 * import { initialState, rowStatus } from "./term_state.ts";
 * rowStatus(initialState("0.1.0"), { kind: "gateway", name: "a", type: "local", source: "user", endpoint: "http://x" });
 * // "checking"
 * ```
 */
export function rowStatus(state: TermState, row: PaneRow): GatewayStatus | "error" {
  if (row.kind === "problem") return "error";
  return state.health[rowKey(row)]?.verdict ?? "checking";
}

/**
 * Applies `action` to `state`.
 *
 * @example
 * ```ts
 * import { initialState, reduce } from "./term_state.ts";
 * const { effect } = reduce(initialState("0.1.0"), { type: "key", key: "q", pageSize: 10 });
 * // effect: { kind: "quit" }
 * ```
 */
export function reduce(state: TermState, action: TermAction): Reduction {
  switch (action.type) {
    case "registry":
      return { state: applySnapshot(state, action.snapshot), effect: undefined };
    case "health":
      return {
        state: { ...state, health: { ...state.health, [action.key]: action.health } },
        effect: undefined,
      };
    case "notice":
      return { state: { ...state, notice: action.notice }, effect: undefined };
    case "key":
      return reduceKey(state, action.key, action.pageSize);
  }
}

function applySnapshot(state: TermState, snapshot: RegistrySnapshot): TermState {
  const previous = selectedRow(state);
  // The first read puts the cursor on the active gateway; later reads keep it on its row.
  const follow = state.snapshot === undefined ? snapshot.active?.name : previous?.name;
  let cursor = follow === undefined
    ? state.cursor
    : snapshot.rows.findIndex((row) => row.name === follow);
  if (cursor < 0) cursor = state.cursor;
  cursor = clamp(cursor, 0, snapshot.rows.length - 1);
  const next: TermState = { ...state, snapshot, cursor };
  if (
    state.mode === "confirm-remove" &&
    !snapshot.rows.some((row) => row.name === state.pendingRemoval && row.source === "user")
  ) {
    return {
      ...next,
      mode: "browse",
      pendingRemoval: undefined,
      notice: { kind: "info", text: `Gateway '${state.pendingRemoval}' is no longer a user entry` },
    };
  }
  return next;
}

function reduceKey(state: TermState, key: Key, pageSize: number): Reduction {
  if (key === "ctrl-c") return { state, effect: { kind: "quit" } };
  if (state.mode === "help") {
    if (key === "q") return { state, effect: { kind: "quit" } };
    return { state: { ...state, mode: "browse" }, effect: undefined };
  }
  if (state.mode === "confirm-remove") return reduceConfirm(state, key);

  const quiet: TermState = { ...state, notice: undefined };
  const rows = state.snapshot?.rows ?? [];
  const move = (cursor: number): Reduction => ({
    state: { ...quiet, cursor: clamp(cursor, 0, rows.length - 1) },
    effect: undefined,
  });
  const row = selectedRow(state);
  switch (key) {
    case "up":
    case "k":
      return move(state.cursor - 1);
    case "down":
    case "j":
      return move(state.cursor + 1);
    case "home":
    case "g":
      return move(0);
    case "end":
    case "G":
      return move(rows.length - 1);
    case "pageup":
      return move(state.cursor - Math.max(1, pageSize));
    case "pagedown":
      return move(state.cursor + Math.max(1, pageSize));
    case "q":
      return { state, effect: { kind: "quit" } };
    case "?":
      return { state: { ...quiet, mode: "help" }, effect: undefined };
    case "r":
      return {
        state: { ...quiet, notice: { kind: "info", text: "Refreshing" } },
        effect: { kind: "refresh" },
      };
    case "enter":
      if (row === undefined) return { state: quiet, effect: undefined };
      if (row.kind === "problem") {
        return {
          state: {
            ...quiet,
            notice: { kind: "error", text: `Cannot select '${row.name}': ${row.message}` },
          },
          effect: undefined,
        };
      }
      return { state: quiet, effect: { kind: "select", name: row.name } };
    case "d":
      if (row === undefined) return { state: quiet, effect: undefined };
      if (row.source === "system") {
        return { state: quiet, effect: { kind: "remove", name: row.name, confirmed: false } };
      }
      return {
        state: { ...quiet, mode: "confirm-remove", pendingRemoval: row.name },
        effect: undefined,
      };
    default:
      return { state: quiet, effect: undefined };
  }
}

function reduceConfirm(state: TermState, key: Key): Reduction {
  const name = state.pendingRemoval ?? "";
  const browse: TermState = { ...state, mode: "browse", pendingRemoval: undefined };
  if (key === "y" || key === "Y") {
    return {
      state: { ...browse, notice: undefined },
      effect: { kind: "remove", name, confirmed: true },
    };
  }
  return {
    state: { ...browse, notice: { kind: "info", text: `Kept gateway '${name}'` } },
    effect: undefined,
  };
}

function clamp(value: number, low: number, high: number): number {
  return Math.max(low, Math.min(high, value));
}
