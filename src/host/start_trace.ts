/**
 * Start-up marks: with `OPENSHELL_TRACE=1` each {@linkcode traceMark} prints one stderr line
 * `openshell trace <epoch ms> +<ms since the runtime started> <label>`, so the steps of a
 * launch can be lined up with an outside clock (a benchmark, `strace -tt`). Without the
 * variable a mark costs one boolean test.
 *
 * @module
 */

const enabled = (() => {
  try {
    return Deno.env.get("OPENSHELL_TRACE") === "1";
  } catch {
    return false; // no --allow-env
  }
})();
const encoder = new TextEncoder();

/** Whether marks are printed. */
export function tracing(): boolean {
  return enabled;
}

/** Prints one mark when tracing. */
export function traceMark(label: string): void {
  if (!enabled) return;
  const now = performance.now();
  const line = `openshell trace ${(performance.timeOrigin + now).toFixed(1)} +${
    now.toFixed(1)
  } ${label}\n`;
  Deno.stderr.writeSync(encoder.encode(line));
}

traceMark("modules loaded");
