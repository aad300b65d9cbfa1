/**
 * How a launcher knows its own gateway listens, and tells it from another server on the same
 * port: the launcher gives the gateway a random challenge (`--ready-challenge`), and once the
 * gateway listens it writes one line on its stderr, which the runtime hands to the launcher,
 * carrying an HMAC-SHA256 of the challenge keyed by its API token: only a gateway started with
 * that token can compute it, and a gateway whose address another server took never listens.
 * The token itself never leaves the gateway.
 *
 * @module
 */

/** What a challenge looks like: 32 to 128 lowercase hex digits. */
const CHALLENGE = /^[0-9a-f]{32,128}$/;

const encoder = new TextEncoder();

/** Whether `value` is a well-formed challenge. */
export function isChallenge(value: string | null): value is string {
  return value !== null && CHALLENGE.test(value);
}

/** A fresh random challenge. */
export function newChallenge(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(32)));
}

/**
 * The proof for `challenge`: lowercase hex HMAC-SHA256 keyed by `token`.
 *
 * @example
 * ```ts
 * import { launchProof, newChallenge } from "./mod.ts";
 * await launchProof("s3cret", newChallenge()); // 64 hex digits
 * ```
 */
export async function launchProof(token: string, challenge: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(token),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign(
    "HMAC",
    key,
    encoder.encode(`openshell-ready:${challenge}`),
  );
  return toHex(new Uint8Array(mac));
}

/** What starts the gateway's ready line; the proof follows it, then a newline. */
const READY_PREFIX = "openshell-gateway-ready ";

/**
 * The line a gateway writes on its stderr once it listens: the prefix and `proof` (see
 * {@linkcode launchProof}).
 *
 * @example
 * ```ts
 * import { readyLine } from "./mod.ts";
 * readyLine("ab12"); // "openshell-gateway-ready ab12\n"
 * ```
 */
export function readyLine(proof: string): string {
  return `${READY_PREFIX}${proof}\n`;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
