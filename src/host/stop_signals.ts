/**
 * The signals that stop a serve, caught from the program's first moment: a stop sent while
 * the launch is still loading is kept and acted on once serve listens, never lost (without
 * a handler an inherited "ignore", as a script's background job gets for SIGINT, would drop
 * it). SIGINT and SIGTERM are always caught; SIGHUP only when it was not inherited ignored,
 * since `nohup` means "survive a hangup".
 *
 * @module
 */

/** A signal that stops a serve. */
export type StopSignal = "SIGINT" | "SIGTERM" | "SIGHUP";

const SIGHUP_BIT = 1n << 0n; // signal 1

interface Caught {
  received: StopSignal[];
  listeners: Set<(signal: StopSignal) => void>;
}
let caught: Caught | undefined;

/**
 * Whether SIGHUP was inherited ignored, from the `SigIgn` mask of `/proc/self/status`
 * (read before anything here installs a handler).
 *
 * @example
 * ```ts
 * hangupIgnored("SigIgn:\t0000000000000001\n"); // true
 * ```
 */
export function hangupIgnored(status: string): boolean {
  const mask = /^SigIgn:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && (BigInt(`0x${mask}`) & SIGHUP_BIT) !== 0n;
}

/** Starts catching the stop signals (once; later calls change nothing). */
export function catchStopSignals(): void {
  if (caught !== undefined) return;
  const state: Caught = { received: [], listeners: new Set() };
  caught = state;
  let status = "";
  try {
    status = Deno.readTextFileSync("/proc/self/status");
  } catch {
    // No /proc: SIGHUP is caught as the others.
  }
  const hangupStops = !hangupIgnored(status);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    // Deno catches SIGHUP once any listener is added (its default then ends the program),
    // so an inherited "ignore" is kept by a listener that does nothing.
    Deno.addSignalListener(signal, () => {
      if (signal === "SIGHUP" && !hangupStops) return;
      if (state.listeners.size === 0) state.received.push(signal);
      for (const listener of state.listeners) listener(signal);
    });
  }
}

/**
 * Calls `listener` for each stop signal: at once for those received before (while nothing
 * listened), then as they come. Returns what stops listening.
 */
export function onStopSignal(listener: (signal: StopSignal) => void): () => void {
  catchStopSignals();
  const state = caught!;
  state.listeners.add(listener);
  for (const signal of state.received.splice(0)) listener(signal);
  return () => void state.listeners.delete(listener);
}
