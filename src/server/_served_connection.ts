/**
 * What the listener and the per-protocol connection servers share: the services a
 * connection is answered with, and how an open connection reports its activity.
 *
 * @module
 */
import type { ConnectionActivity } from "./_connection_limits.ts";
import type { GrpcCall, GrpcReply } from "./_grpc_service.ts";

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

/** What answers the requests of a connection. */
export interface ConnectionServices {
  /** Answers HTTP requests (both protocols). */
  handler: (request: Request) => Promise<Response>;
  /** Answers gRPC calls (HTTP/2 only). */
  grpc: (call: GrpcCall) => GrpcReply;
  /** Told of every answer, for the log. */
  onAnswer: (answer: Answer) => void;
}

/** One open connection, as the cap and the timeout see it. */
export interface OpenConnection extends ConnectionActivity {
  close(): void;
}

/** The bytes of one connection: the TCP connection, or the TLS session over it. */
export type ByteStream = Pick<Deno.Conn, "read" | "write" | "close" | "closeWrite">;

/**
 * Opens the TLS session of an accepted connection (the client's certificate checked);
 * rejects when the handshake fails or the connection closes first.
 */
export type TlsAcceptor = (conn: Deno.Conn) => Promise<ByteStream>;

/** Serves one HTTP/2 connection whose first bytes (`pending`) were already read. */
export type Http2Acceptor = (
  conn: ByteStream,
  pending: Uint8Array,
  tracked: OpenConnection,
) => Promise<void>;
