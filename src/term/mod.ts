/**
 * TODO-DOC term
 *
 * @module
 */
export { termRegistry } from "./registry_view.ts";
export { runTerm } from "./term_app.ts";
export { type GatewayStatus } from "./term_state.ts";
