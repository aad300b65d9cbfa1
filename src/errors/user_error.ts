/**
 * Errors caused by user input or the user's environment, as opposed to programming mistakes,
 * failed file operations among them: one line naming the path and the OS reason, and a hint
 * that fits the reason (a full disk, a read-only filesystem, a permission), as such failures
 * come from the user's machine, not from a bug in openshell.
 *
 * @module
 */

/**
 * An error of the user's input or environment. The CLI prints it as one `error: ...` line plus
 * an optional hint, and exits with `exitCode` (1 failure, 2 usage). Any other error is a bug
 * and is reported as such.
 *
 * @example
 * ```ts
 * import { UserError } from "./mod.ts";
 * throw new UserError(`Gateway "corp" not found`, { hint: "Run `openshell gateway list`" });
 * ```
 */
export class UserError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: 1 | 2;

  constructor(message: string, options: { hint?: string; exitCode?: 1 | 2; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UserError";
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** A malformed command line: exit status 2. */
export class UsageError extends UserError {
  constructor(message: string, options: { hint?: string } = {}) {
    super(message, { ...options, exitCode: 2 });
    this.name = "UsageError";
  }
}

/** OS error codes of file operations: each is the state of the machine, not a bug. */
const FILE_ERROR_CODES = new Set([
  "EACCES",
  "EPERM",
  "ENOENT",
  "ENOTDIR",
  "EISDIR",
  "ELOOP",
  "ENAMETOOLONG",
  "EEXIST",
  "ENOTEMPTY",
  "ENOSPC",
  "EDQUOT",
  "EROFS",
  "EIO",
  "EBUSY",
  "ETXTBSY",
  "EXDEV",
  "EMFILE",
  "ENFILE",
  "EFBIG",
  "ESTALE",
]);

/** Deno's names of file operations, as a verb for "Cannot <verb> "<path>"". */
const OPERATIONS: Record<string, string> = {
  open: "open",
  readfile: "read",
  writefile: "write",
  readdir: "read directory",
  mkdir: "create directory",
  remove: "remove",
  rename: "rename",
  link: "link",
  symlink: "create symbolic link",
  stat: "stat",
  lstat: "stat",
  chmod: "change the mode of",
  chown: "change the owner of",
  copy: "copy",
  realpath: "resolve",
  truncate: "truncate",
  utime: "set the times of",
};

// Deno's form: "Reason (os error N): op 'path'" or "... op 'from' -> 'to'".
const DENO_FILE_MESSAGE = /^(.*?) \(os error \d+\)(?:: (\w+) '(.*?)'(?: -> '(.*)')?)?$/s;

/** The `code` of an OS error (`ENOSPC`, ...), or undefined for anything else. */
function osErrorCode(error: unknown): string | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Whether `error` is a failed file operation (a state of the machine, not a bug). */
export function isFileSystemError(error: unknown): boolean {
  const code = osErrorCode(error);
  return code !== undefined && FILE_ERROR_CODES.has(code);
}

/**
 * The OS reason of a failed file operation, lower case, without Deno's repetition of the
 * path or its error number.
 *
 * @example
 * ```ts
 * import { osReason } from "./mod.ts";
 * osReason(new Deno.errors.PermissionDenied("Permission denied (os error 13): open '/x'"));
 * // "permission denied"
 * ```
 */
export function osReason(error: unknown): string {
  if (error instanceof UnreadableFileError) return error.reason;
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  if (error instanceof Deno.errors.NotADirectory) return "not a directory";
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.FilesystemLoop) return "too many levels of symbolic links";
  const message = error instanceof Error ? error.message : String(error);
  const match = DENO_FILE_MESSAGE.exec(message);
  if (match) return lowerFirst(match[1]!);
  return message;
}

/**
 * What to do about a failed file operation, by its reason; undefined when nothing general
 * applies.
 */
export function fileErrorHint(error: unknown): string | undefined {
  switch (osErrorCode(error)) {
    case "ENOSPC":
    case "EDQUOT":
    case "EFBIG":
      return "The filesystem is full: free some space on it and run the command again";
    case "EROFS":
      return "The filesystem is mounted read-only: point the matching XDG_* variable at a " +
        "writable directory, or remount it read-write";
    case "EACCES":
    case "EPERM":
      return "Check the permissions of the path and of the directories above it";
    case "EISDIR":
      return "A directory is where a file is expected: move it aside";
    case "ENOTDIR":
      return "A file is where a directory is expected: move it aside";
    case "EMFILE":
    case "ENFILE":
      return "Too many open files: raise the limit (ulimit -n) or close other programs";
    default:
      return undefined;
  }
}

/**
 * A UserError for a file operation on `path` that failed: `<what> "<path>": <reason>`, with
 * the hint that fits the reason.
 *
 * @example
 * ```ts
 * import { fileError } from "./mod.ts";
 * const path = "/etc/openshell/active_gateway";
 * try {
 *   await Deno.writeTextFile(path, "corp\n");
 * } catch (error) {
 *   // UserError: Cannot write "/etc/openshell/active_gateway": permission denied
 *   throw fileError("Cannot write", path, error);
 * }
 * ```
 */
export function fileError(what: string, path: string, error: unknown): UserError {
  if (error instanceof UnreadableFileError && error.path === path) {
    const hint = error.hint === undefined ? {} : { hint: error.hint };
    return new UserError(`${what} "${path}": ${error.reason}`, { ...hint, cause: error });
  }
  // A failure already reported for a temp file is reported for the file it was to become.
  const cause = error instanceof UserError && isFileSystemError(error.cause) ? error.cause : error;
  const hint = fileErrorHint(cause);
  return new UserError(`${what} "${path}": ${osReason(cause)}`, {
    ...(hint === undefined ? {} : { hint }),
    cause,
  });
}

/**
 * The error to report for an uncaught failed file operation: one line naming the path (as
 * Deno's message gives it) and the reason, with a hint. Undefined for anything that is not
 * a failed file operation, which stays a bug.
 *
 * @example
 * ```ts
 * import { asFileUserError } from "./mod.ts";
 * try {
 *   await Deno.mkdir("/x");
 * } catch (error) {
 *   const user = asFileUserError(error); // Cannot create directory "/x": read-only file system
 *   if (user === undefined) throw error; // not a file operation: a bug
 *   console.error(`error: ${user.message}`);
 * }
 * ```
 */
export function asFileUserError(error: unknown): UserError | undefined {
  if (!isFileSystemError(error)) return undefined;
  const message = (error as Error).message;
  const match = DENO_FILE_MESSAGE.exec(message);
  const hint = fileErrorHint(error);
  const options = { ...(hint === undefined ? {} : { hint }), cause: error };
  if (match?.[2] === undefined || match[3] === undefined) {
    return new UserError(match?.[1] ?? message, options);
  }
  const verb = OPERATIONS[match[2]] ?? match[2];
  const target = match[4] === undefined ? `"${match[3]}"` : `"${match[3]}" to "${match[4]}"`;
  return new UserError(`Cannot ${verb} ${target}: ${lowerFirst(match[1]!)}`, options);
}

/**
 * A file refused before its content was read: not a regular file, or larger than any real
 * file of its kind. `reason` is the part after the path.
 */
export class UnreadableFileError extends UserError {
  readonly path: string;
  readonly reason: string;

  constructor(path: string, reason: string, options: { hint?: string } = {}) {
    super(`Cannot read "${path}": ${reason}`, options);
    this.name = "UnreadableFileError";
    this.path = path;
    this.reason = reason;
  }
}

function lowerFirst(text: string): string {
  return text.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase());
}
