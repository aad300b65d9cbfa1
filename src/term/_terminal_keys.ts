/**
 * Key names as the terminal library reports them, mapped to the names the reducer uses.
 *
 * @module
 */
import type { Key } from "./term_state.ts";

const NAMED: Record<string, Key> = {
  UP: "up",
  DOWN: "down",
  HOME: "home",
  END: "end",
  PAGE_UP: "pageup",
  PAGE_DOWN: "pagedown",
  ENTER: "enter",
  KP_ENTER: "enter",
  ESCAPE: "escape",
  CTRL_C: "ctrl-c",
};

/**
 * The reducer's name for a terminal-kit key name: named keys are mapped, a single printable
 * character stays itself, anything else is `undefined` (ignored).
 *
 * @example
 * ```ts
 * import { keyFromTerminalKit } from "./_terminal_keys.ts";
 * keyFromTerminalKit("UP"); // "up"
 * keyFromTerminalKit("j"); // "j"
 * keyFromTerminalKit("F5"); // undefined
 * ```
 */
export function keyFromTerminalKit(name: string): Key | undefined {
  const named = NAMED[name];
  if (named !== undefined) return named;
  return [...name].length === 1 && name >= " " ? name : undefined;
}
