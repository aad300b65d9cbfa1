import { quoted } from "../errors/mod.ts";
import { UserError } from "../errors/mod.ts";

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
 * import { validateGatewayName } from "./mod.ts";
 * validateGatewayName("corp"); // "corp"
 * validateGatewayName("../etc"); // throws
 * ```
 */
export function validateGatewayName(name: string): string {
  const reason = gatewayNameProblem(name);
  if (reason !== undefined) {
    throw new UserError(`invalid gateway name '${quoted(name)}': ${reason}`, {
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
  if (name.length * 3 > MAX_GATEWAY_NAME_BYTES && utf8Length(name) > MAX_GATEWAY_NAME_BYTES) {
    return `expected a single path component of at most ${MAX_GATEWAY_NAME_BYTES} bytes`;
  }
  return undefined;
}

/** UTF-8 length of `text` (a lone surrogate counts as the 3 bytes of U+FFFD). */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
