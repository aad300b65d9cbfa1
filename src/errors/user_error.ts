/**
 * Errors caused by user input or the user's environment, as opposed to programming mistakes.
 * The CLI prints them as one `error: ...` line plus an optional hint, and exits with
 * `exitCode` (1 failure, 2 usage). Any other error is a bug and is reported as such.
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
