/**
 * The protobuf messages of the `openshell.v1.OpenShell` methods the gateway serves (`Health`,
 * `GetGatewayInfo`), encoded and decoded by hand: two small messages do not justify a code
 * generator, and the gateway imports no package. Field numbers follow NVIDIA OpenShell's
 * `proto/openshell.proto`.
 *
 * @module
 */

/** `openshell.v1.ServiceStatus`. */
export const ServiceStatus = {
  UNSPECIFIED: 0,
  HEALTHY: 1,
  DEGRADED: 2,
  UNHEALTHY: 3,
} as const;

/** `openshell.v1.HealthResponse`. */
export interface HealthResponse {
  /** Field 1, a {@linkcode ServiceStatus}. */
  status: number;
  /** Field 2. */
  version: string;
}

/** `openshell.v1.ComputeDriverInfo`. */
export interface ComputeDriverInfo {
  /** Field 1. */
  name: string;
  /** Field 2, `ComputeDriverCapabilities { driver_name = 1; driver_version = 2; }`. */
  capabilities?: { driverName: string; driverVersion: string };
}

/** `openshell.v1.GetGatewayInfoResponse`. */
export interface GetGatewayInfoResponse {
  /** Field 1, a {@linkcode ServiceStatus}. */
  status: number;
  /** Field 2. */
  gatewayVersion: string;
  /** Field 3 (repeated). */
  computeDrivers: ComputeDriverInfo[];
}

/** One field as it appears on the wire. */
export type WireField =
  | { number: number; wireType: 0; value: bigint }
  | { number: number; wireType: 1 | 5; value: Uint8Array }
  | { number: number; wireType: 2; value: Uint8Array };

const encoder = new TextEncoder();

/**
 * Encodes a `HealthResponse`; fields at their default value are left out, as proto3 does.
 *
 * @example
 * ```ts
 * import { encodeHealthResponse, ServiceStatus } from "./_grpc_messages.ts";
 * encodeHealthResponse({ status: ServiceStatus.HEALTHY, version: "1" });
 * // Uint8Array [0x08, 0x01, 0x12, 0x01, 0x31]
 * ```
 */
export function encodeHealthResponse(message: HealthResponse): Uint8Array {
  return concat([enumField(1, message.status), stringField(2, message.version)]);
}

/**
 * Encodes a `GetGatewayInfoResponse`.
 *
 * @example
 * ```ts
 * import { encodeGetGatewayInfoResponse } from "./_grpc_messages.ts";
 * encodeGetGatewayInfoResponse({ status: 1, gatewayVersion: "1", computeDrivers: [] });
 * ```
 */
export function encodeGetGatewayInfoResponse(message: GetGatewayInfoResponse): Uint8Array {
  return concat([
    enumField(1, message.status),
    stringField(2, message.gatewayVersion),
    ...message.computeDrivers.map((driver) => {
      const capabilities = driver.capabilities;
      const inner = concat([
        stringField(1, driver.name),
        capabilities
          ? messageField(
            2,
            concat([
              stringField(1, capabilities.driverName),
              stringField(2, capabilities.driverVersion),
            ]),
          )
          : new Uint8Array(0),
      ]);
      return messageField(3, inner);
    }),
  ]);
}

/**
 * Reads every field of an encoded message, in order, without knowing its schema.
 *
 * @throws {SyntaxError} when the bytes are not a well-formed protobuf message.
 * @example
 * ```ts
 * import { decodeFields } from "./_grpc_messages.ts";
 * decodeFields(new Uint8Array([0x08, 0x01])); // [{ number: 1, wireType: 0, value: 1n }]
 * ```
 */
export function decodeFields(bytes: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (offset >= bytes.length) throw new SyntaxError("Truncated varint");
      const byte = bytes[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
    throw new SyntaxError("Varint longer than 10 bytes");
  };
  const take = (length: number): Uint8Array => {
    if (length > bytes.length - offset) throw new SyntaxError("Truncated field");
    return bytes.subarray(offset, offset += length);
  };
  while (offset < bytes.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number < 1 || number > 0x1fffffff) throw new SyntaxError(`Invalid field number ${number}`);
    if (wireType === 0) fields.push({ number, wireType, value: varint() });
    else if (wireType === 1) fields.push({ number, wireType, value: take(8) });
    else if (wireType === 5) fields.push({ number, wireType, value: take(4) });
    else if (wireType === 2) {
      const length = varint();
      if (length > BigInt(bytes.length - offset)) throw new SyntaxError("Truncated field");
      fields.push({ number, wireType, value: take(Number(length)) });
    } else throw new SyntaxError(`Unsupported wire type ${wireType}`);
  }
  return fields;
}

/**
 * Checks a request whose message has no fields (`HealthRequest`, `GetGatewayInfoRequest`):
 * unknown fields are skipped as protobuf requires, malformed bytes rejected.
 *
 * @throws {SyntaxError} when the bytes are not a well-formed protobuf message.
 * @example
 * ```ts
 * import { decodeEmptyRequest } from "./_grpc_messages.ts";
 * decodeEmptyRequest(new Uint8Array(0)); // ok
 * ```
 */
export function decodeEmptyRequest(bytes: Uint8Array): void {
  decodeFields(bytes);
}

function varintBytes(value: number): number[] {
  const out: number[] = [];
  let rest = BigInt.asUintN(64, BigInt(value)); // negative enums take ten bytes, as protobuf says
  while (rest >= 0x80n) {
    out.push(Number(rest & 0x7fn) | 0x80);
    rest >>= 7n;
  }
  out.push(Number(rest));
  return out;
}

function enumField(number: number, value: number): Uint8Array {
  if (value === 0) return new Uint8Array(0);
  return new Uint8Array([...varintBytes(number << 3), ...varintBytes(value)]);
}

function stringField(number: number, value: string): Uint8Array {
  if (value === "") return new Uint8Array(0);
  return messageField(number, encoder.encode(value));
}

function messageField(number: number, value: Uint8Array): Uint8Array {
  const head = [...varintBytes((number << 3) | 2), ...varintBytes(value.length)];
  return concat([new Uint8Array(head), value]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
