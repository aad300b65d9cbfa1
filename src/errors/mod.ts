/**
 * The errors openshell reports to users, told apart from bugs: a {@linkcode UserError}
 * (exit status 1) or {@linkcode UsageError} (exit status 2) is printed as one `error:` line
 * and a hint, never a stack trace; a failed file operation becomes one naming the path, the
 * OS reason and what to do about it; text from files and arguments is made printable before
 * a message quotes it. Any other error is a bug and is reported as one.
 *
 * @example
 * ```ts
 * import { fileError, quoted, UserError } from "./mod.ts";
 * const path = "/home/ada/.config/openshell/active_gateway";
 * const name = await Deno.readTextFile(path).catch((error) => {
 *   throw fileError("Cannot read", path, error); // Cannot read "…": permission denied
 * });
 * if (name.trim() === "") {
 *   throw new UserError(`No gateway named in "${quoted(path)}"`, {
 *     hint: "Run `openshell gateway select NAME`",
 *   });
 * }
 * ```
 *
 * @module
 */
export {
  asFileUserError,
  fileError,
  osReason,
  UnreadableFileError,
  UsageError,
  UserError,
} from "./user_error.ts";
export {
  type CommandWord,
  fillIn,
  type Placeholder,
  programCommand,
  quoted,
  sanitize,
  sanitizeLines,
  shellWord,
} from "./printable_text.ts";
