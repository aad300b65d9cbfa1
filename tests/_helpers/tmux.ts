/**
 * A real terminal for tests: a private tmux server (its own socket, no config) running one
 * shell, typed into with `send-keys` and read with `capture-pane`. Disposing kills that
 * server only.
 *
 * @module
 */
import { join } from "node:path";

/** A shell in a private tmux server. */
export interface TmuxTerminal extends AsyncDisposable {
  /** Types keys (tmux key names such as `Enter`, `Down`, `C-c`, or literal text with `literal`). */
  send(keys: string[], options?: { literal?: boolean }): Promise<void>;
  /** The visible screen, one string per row (trailing spaces trimmed). */
  capture(): Promise<string[]>;
  /** The visible screen with its colours and attributes as escape sequences. */
  captureStyled(): Promise<string>;
  /** Waits until `predicate(screen)` holds; fails with the last screen after `timeoutMs`. */
  waitFor(
    predicate: (screen: string) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<string>;
  /** Resizes the terminal. */
  resize(columns: number, rows: number): Promise<void>;
  /** A tmux format value for the pane, for example `#{alternate_on}`. */
  format(format: string): Promise<string>;
}

/** Whether tmux is installed. */
export function tmuxAvailable(): boolean {
  try {
    new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts `/bin/sh` in a private tmux server of `columns` x `rows`, in `cwd`, with exactly
 * `env` (plus TERM), and a prompt of `$ `.
 */
export async function openTmux(
  options: { env: Record<string, string>; cwd: string; columns?: number; rows?: number },
): Promise<TmuxTerminal> {
  const socket = join(await Deno.makeTempDir({ prefix: "openshell-tmux-" }), "socket");
  const tmux = async (...args: string[]) => {
    const output = await new Deno.Command("tmux", {
      args: ["-S", socket, "-f", "/dev/null", ...args],
      env: { TMUX: "" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout);
    if (!output.success) {
      throw new Error(`tmux ${args[0]} failed: ${new TextDecoder().decode(output.stderr)}`);
    }
    return text;
  };
  const env = { ...options.env, PS1: "$ ", TERM: "xterm-256color" };
  await tmux(
    "new-session",
    "-d",
    "-x",
    String(options.columns ?? 100),
    "-y",
    String(options.rows ?? 30),
    "-c",
    options.cwd,
    "env",
    "-i",
    ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
    "/bin/sh",
  );
  await tmux("set-option", "-g", "status", "off");

  const capture = async () =>
    (await tmux("capture-pane", "-p")).split("\n").map((line) => line.trimEnd());
  const terminal: TmuxTerminal = {
    async send(keys, sendOptions = {}) {
      await tmux("send-keys", ...(sendOptions.literal ? ["-l"] : []), ...keys);
    },
    capture,
    captureStyled: () => tmux("capture-pane", "-p", "-e"),
    async waitFor(predicate, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      let screen = "";
      while (Date.now() < deadline) {
        screen = (await capture()).join("\n");
        if (predicate(screen)) return screen;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}; screen:\n${screen}`);
    },
    async resize(columns, rows) {
      await tmux("resize-window", "-x", String(columns), "-y", String(rows));
    },
    async format(format) {
      return (await tmux("display-message", "-p", format)).trim();
    },
    async [Symbol.asyncDispose]() {
      await tmux("kill-server").catch(() => {});
      await Deno.remove(join(socket, ".."), { recursive: true }).catch(() => {});
    },
  };
  await terminal.waitFor((screen) => screen.includes("$"), "the shell prompt");
  return terminal;
}
