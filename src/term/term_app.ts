/**
 * The running terminal UI: the alternate screen, raw key input and resize events (from
 * terminal-kit), a registry read every 2 s, health checks in the background, and the
 * effects the reducer asks for. Everything it shows is decided by the pure
 * {@linkcode reduce} and {@linkcode renderScreen}.
 *
 * @module
 */
// @ts-types="@types/terminal-kit"
import termkit from "terminal-kit";
import { HealthPoller } from "../client/mod.ts";
import { paneHeight, renderScreen } from "./_screen_lines.ts";
import { paintScreen } from "./_screen_paint.ts";
import { keyFromTerminalKit } from "./_terminal_keys.ts";
import {
  initialState,
  type Notice,
  reduce,
  type RegistrySnapshot,
  rowKey,
  type TermAction,
  type TermEffect,
} from "./term_state.ts";

/** What the terminal UI needs from the gateway registry. */
export interface TermRegistry {
  /** Reads every entry, the unreadable ones and the active gateway. */
  read(): Promise<RegistrySnapshot>;
  /** Makes `name` the user's active gateway; returns a warning to show, if any. */
  select(name: string): Promise<string | undefined>;
  /** Removes the user entry `name`; throws with the reason when it must not. */
  remove(name: string): Promise<void>;
}

/** Options for {@linkcode runTerm}. */
export interface TermOptions {
  version: string;
  registry: TermRegistry;
  /** Whether to use colours (attributes such as reverse video are used regardless). */
  color: boolean;
  /** How often the registry is re-read and gateways are checked, in ms (default 2000). */
  refreshMs?: number;
  /** Check `https://` gateways without verifying them or sending a client certificate. */
  insecure?: boolean;
}

/**
 * Runs the terminal UI until the user quits (or SIGTERM, SIGHUP or SIGINT arrives), then leaves the
 * alternate screen and restores the terminal, also when something fails.
 *
 * @example
 * ```ts
 * import { registryRoots } from "../registry/mod.ts";
 * import { runTerm, termRegistry } from "./mod.ts";
 * const roots = registryRoots((name) => Deno.env.get(name), Deno.uid() ?? 0, console.error);
 * const overrides = { flag: undefined, env: Deno.env.get("OPENSHELL_GATEWAY") };
 * const registry = termRegistry(roots, overrides);
 * await runTerm({ version: "0.1.0", registry, color: true });
 * ```
 */
export async function runTerm(options: TermOptions): Promise<void> {
  const { registry, color } = options;
  const term = termkit.terminal;
  let state = initialState(options.version);
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });

  let open = true;
  const draw = () => {
    if (!open) return; // late answers must not draw over the restored screen
    const size = { columns: term.width, rows: term.height };
    term.noFormat(paintScreen(renderScreen(state, size), color));
  };
  const dispatch = (action: TermAction) => {
    const reduction = reduce(state, action);
    state = reduction.state;
    draw();
    if (reduction.effect !== undefined) {
      carryOut(reduction.effect).catch((error) => notify("error", messageOf(error)));
    }
  };
  const notify = (kind: Notice["kind"], text: string) =>
    dispatch({ type: "notice", notice: { kind, text } });

  const poller = new HealthPoller((key, health) =>
    guard(() => dispatch({ type: "health", key, health }))
  );

  let reading: Promise<void> | undefined;
  const readOnce = async () => {
    let snapshot: RegistrySnapshot;
    try {
      snapshot = await registry.read();
    } catch (error) {
      snapshot = { rows: [], active: undefined, activeError: undefined, error: messageOf(error) };
    }
    dispatch({ type: "registry", snapshot });
    poller.poll(
      snapshot.rows.flatMap((row) =>
        row.kind === "gateway"
          ? [{
            key: rowKey(row),
            endpoint: row.endpoint,
            tls: row.tls,
            tokenFile: row.tokenFile,
            insecure: options.insecure,
          }]
          : []
      ),
    );
  };
  /** Reads the registry after any read already under way, so a write just made is seen. */
  const refresh = async () => {
    while (reading !== undefined) await reading;
    reading = readOnce().finally(() => reading = undefined);
    await reading;
  };

  const carryOut = async (effect: TermEffect): Promise<void> => {
    switch (effect.kind) {
      case "quit":
        finish();
        return;
      case "refresh":
        await refresh();
        notify("info", "Registry re-read");
        return;
      case "select":
        try {
          const warning = await registry.select(effect.name);
          notify("info", `Active gateway is now '${effect.name}'${warning ? `; ${warning}` : ""}`);
        } catch (error) {
          notify("error", messageOf(error));
        }
        await refresh();
        return;
      case "remove":
        await remove(effect.name, effect.confirmed);
        await refresh();
        return;
    }
  };
  const remove = async (name: string, confirmed: boolean) => {
    if (!confirmed) {
      // A system entry: ask the registry only if the entry is still system-only on disk,
      // so a user entry that appeared since is never removed without a confirmation.
      const fresh = await registry.read();
      const row = fresh.rows.find((candidate) => candidate.name === name);
      if (row?.source !== "system") {
        dispatch({ type: "registry", snapshot: fresh });
        notify("info", `Gateway '${name}' changed on disk; press d again`);
        return;
      }
    }
    try {
      await registry.remove(name);
      notify("info", `Removed gateway '${name}'`);
    } catch (error) {
      notify("error", messageOf(error));
    }
  };

  const guard = (work: () => void) => {
    try {
      work();
    } catch (error) {
      fail(error);
    }
  };
  const onKey = (name: string) =>
    guard(() => {
      const key = keyFromTerminalKit(name);
      if (key !== undefined) dispatch({ type: "key", key, pageSize: paneHeight(term.height) });
    });
  const onResize = () => guard(draw);
  const onSignal = () => finish();
  const signals: Deno.Signal[] = ["SIGTERM", "SIGHUP", "SIGINT"];

  term.fullscreen(true);
  term.hideCursor(true);
  term.grabInput(true);
  term.on("key", onKey);
  term.on("resize", onResize);
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  const timer = setInterval(() => {
    if (reading === undefined) refresh().catch(fail);
  }, options.refreshMs ?? 2000);
  try {
    draw();
    refresh().catch(fail);
    await finished;
  } finally {
    open = false;
    clearInterval(timer);
    poller.dispose();
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    term.off("key", onKey);
    term.off("resize", onResize);
    term.grabInput(false);
    term.styleReset();
    term.hideCursor(false);
    term.fullscreen(false);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
