/**
 * What the listener and the per-protocol connection servers share: the services a
 * connection is answered with, and how an open connection reports its progress.
 *
 * @module
 */
import type { GatewayHandler } from "./_gateway_handler.ts";
import type { GrpcServiceOptions } from "./_grpc_service.ts";
import type { ConnectionProgress } from "./_limits.ts";

/** One request answered, for the log. */
export interface Answer {
  protocol: "http/1.1" | "h2";
  method: string;
  path: string;
  status: number;
  /** The gRPC status, for gRPC calls. */
  grpcStatus?: number;
  /** What went wrong, when the handler threw. */
  error?: string;
}

/** Why the server closed a connection on its own. */
export type ClosedReason =
  | "idle timeout"
  | "request timeout"
  | "over capacity"
  | "accept failed"
  | "http2 flood"
  | "answers unread";

/** What answers the requests of a connection, and how long each may take. */
export interface ConnectionServices {
  /** Answers HTTP requests (both protocols). */
  handler: GatewayHandler;
  /**
   * What the gRPC service is built from: it answers gRPC calls (HTTP/2 only), and is built,
   * with its protobuf code, on the first HTTP/2 connection.
   */
  grpc: GrpcServiceOptions;
  /** Told of every answer, for the log. */
  onAnswer: (answer: Answer) => void;
  /** Told of every connection the server closes on its own. */
  onClosed: (reason: ClosedReason, error?: string) => void;
  /** A connection with no request under way is closed after this long, in milliseconds. */
  idleTimeoutMs: number;
  /** A request must arrive whole and be answered within this long, in milliseconds. */
  requestTimeoutMs: number;
}

/** One open connection, as the cap and the deadlines see it. */
export interface OpenConnection extends ConnectionProgress {
  /** Whether a request is under way (its deadline is the request's, not the idle one). */
  busy: boolean;
  close(): void;
}

/** The bytes of one connection: the TCP connection, or the TLS session over it. */
export type ByteStream = Pick<Deno.Conn, "read" | "write" | "close" | "closeWrite">;

/** Writes all of `bytes` to `conn`, however many writes it takes. */
export async function writeAll(conn: ByteStream, bytes: Uint8Array): Promise<void> {
  for (let written = 0; written < bytes.length;) {
    written += await conn.write(bytes.subarray(written));
  }
}

/**
 * One connection a listener has accepted that the gateway reads itself: closing it, and opening
 * its bytes.
 */
export interface PulledConnection {
  close(): void;
  open(): Promise<ByteStream>;
}

/**
 * One connection a listener has accepted whose bytes come to the gateway as they arrive (a TLS
 * session): closing it, and serving it once open, HTTP/2 through `http2`; resolves once it has
 * closed, rejects when its TLS handshake fails or it closes first.
 */
export interface PushedConnection {
  close(): void;
  serve(
    tracked: OpenConnection,
    services: ConnectionServices,
    http2: () => Promise<Http2Acceptor>,
  ): Promise<void>;
}

/** One connection a listener has accepted. */
export type AcceptedConnection = PulledConnection | PushedConnection;

/** A listener of its own (the TLS one): where it listens, and how it stops. */
export interface ConnectionListener {
  addr: Deno.NetAddr;
  close(): void;
}

/**
 * Listens on an address for TLS sessions (with client certificates checked), telling
 * `onConnection` of each connection as soon as it is accepted, before its handshake.
 */
export type TlsListen = (
  address: { hostname: string; port: number },
  onConnection: (connection: PushedConnection) => void,
) => Promise<ConnectionListener>;

/** Serves one HTTP/2 connection whose first bytes (`pending`) were already read. */
export type Http2Acceptor = (
  conn: ByteStream,
  pending: Uint8Array,
  tracked: OpenConnection,
) => Promise<void>;
