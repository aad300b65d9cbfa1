/**
 * `openshell term`: a full-screen terminal UI over the gateway registry, listing every
 * gateway with its type, source, endpoint and health and marking the active one; select and
 * remove act on the registry exactly as `gateway select` and `gateway remove` do. What it
 * shows is a pure function of its state and the keys pressed; the files stay the registry's.
 *
 * @example
 * ```ts
 * import { registryRoots } from "../registry/mod.ts";
 * import { runTerm, termRegistry } from "./mod.ts";
 * const roots = registryRoots((name) => Deno.env.get(name), Deno.uid() ?? 0, console.error);
 * const overrides = { flag: undefined, env: Deno.env.get("OPENSHELL_GATEWAY") };
 * const registry = termRegistry(roots, overrides);
 * await runTerm({ version: "0.1.0", registry, color: Deno.env.get("NO_COLOR") === undefined });
 * ```
 *
 * @module
 */
export { termRegistry } from "./registry_view.ts";
export { runTerm } from "./term_app.ts";
export { type GatewayStatus } from "./term_state.ts";
