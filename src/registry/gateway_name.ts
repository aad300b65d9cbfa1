import { UserError } from "../user_error.ts";

/** The longest name a single path component may have on common filesystems, in bytes. */
export const MAX_GATEWAY_NAME_BYTES = 255;

/**
 * Returns `name` when it can safely be one path component under `gateways/`, and throws
 * otherwise. Every name is checked before it is joined to a path: the user dir, the system
 * dir, the active file and per-gateway credentials.
 *
 * Rejected: empty, `.`, `..`, anything containing `/` or NUL, and names over 255 bytes.
 *
 * @throws {UserError} `invalid gateway name '<name>': expected a single path component`
 * @example
 * ```ts
 * validateGatewayName("corp"); // "corp"
 * validateGatewayName("../etc"); // throws
 * ```
 */
export function validateGatewayName(name: string): string {
  const reason = gatewayNameProblem(name);
  if (reason !== undefined) {
    throw new UserError(`invalid gateway name '${displayName(name)}': ${reason}`, {
      hint: "A gateway name is one path component: not empty, '.' or '..', no '/' or NUL, " +
        `at most ${MAX_GATEWAY_NAME_BYTES} bytes`,
    });
  }
  return name;
}

/** Whether `name` passes {@linkcode validateGatewayName}. */
export function isValidGatewayName(name: string): boolean {
  return gatewayNameProblem(name) === undefined;
}

function gatewayNameProblem(name: string): string | undefined {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    return "expected a single path component";
  }
  if (new TextEncoder().encode(name).length > MAX_GATEWAY_NAME_BYTES) {
    return `expected a single path component of at most ${MAX_GATEWAY_NAME_BYTES} bytes`;
  }
  return undefined;
}

// deno-lint-ignore no-control-regex
const CONTROL_CHARACTERS = /[\x00-\x1f\x7f]/g;

/** The name as shown in messages: control characters escaped, very long names shortened. */
function displayName(name: string): string {
  const escaped = name.replace(
    CONTROL_CHARACTERS,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );
  return escaped.length > 80 ? `${escaped.slice(0, 40)}...(${escaped.length} characters)` : escaped;
}
