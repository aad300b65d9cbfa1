/**
 * TODO-DOC server
 *
 * @module
 */
export { runGateway } from "./main.ts";
