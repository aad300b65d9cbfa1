const encoder = new TextEncoder();

/**
 * Compares two strings in time that depends only on their lengths' maximum, never on where
 * they first differ: both are compared byte by byte to the end.
 *
 * @example
 * ```ts
 * import { constantTimeEqual } from "./_constant_time_equal.ts";
 * constantTimeEqual("secret", "secret"); // true
 * constantTimeEqual("secret", "secreT"); // false
 * ```
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const length = Math.max(x.length, y.length);
  let difference = x.length ^ y.length;
  for (let i = 0; i < length; i++) difference |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return difference === 0;
}
