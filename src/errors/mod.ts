/**
 * TODO-DOC errors
 *
 * @module
 */
export { asFileUserError, fileError, osReason, UnreadableFileError } from "./file_error.ts";
export { quoted, sanitize } from "./printable_text.ts";
export { UsageError, UserError } from "./user_error.ts";
