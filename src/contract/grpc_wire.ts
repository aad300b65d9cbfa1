/**
 * gRPC over HTTP/2 as far as a unary call needs it: the service path, the status codes, and
 * the length-prefixed framing of a message.
 *
 * @module
 */

/** The gRPC service path prefix of `openshell.v1.OpenShell`. */
export const GRPC_SERVICE_PATH = "/openshell.v1.OpenShell/";

/** gRPC status codes this program sends or tells apart. */
export const GrpcStatus = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * Prefixes a message as gRPC frames it: a compressed flag (0) and a 4-byte big-endian length.
 *
 * @example
 * ```ts
 * import { frameMessage } from "./mod.ts";
 * frameMessage(new Uint8Array([8, 1])); // Uint8Array [0, 0, 0, 0, 2, 8, 1]
 * ```
 */
export function frameMessage(payload: Uint8Array): Uint8Array<ArrayBuffer> {
  const framed = new Uint8Array(5 + payload.length);
  new DataView(framed.buffer).setUint32(1, payload.length);
  framed.set(payload, 5);
  return framed;
}

/**
 * The one message of a unary body (a request's, or a response's before its trailers).
 *
 * @throws {SyntaxError} when the body is not exactly one uncompressed length-prefixed message.
 * @example
 * ```ts
 * import { unframeMessage } from "./mod.ts";
 * unframeMessage(new Uint8Array([0, 0, 0, 0, 0])); // Uint8Array []
 * ```
 */
export function unframeMessage(body: Uint8Array): Uint8Array {
  if (body.length < 5) throw new SyntaxError("Message missing or truncated");
  if (body[0] !== 0) throw new SyntaxError("Compressed message without grpc-encoding");
  const length = new DataView(body.buffer, body.byteOffset, 5).getUint32(1);
  if (body.length !== 5 + length) {
    throw new SyntaxError("Body is not exactly one length-prefixed message");
  }
  return body.subarray(5);
}
