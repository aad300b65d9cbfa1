/**
 * A stand-in for a real NVIDIA OpenShell gateway's API port: gRPC `openshell.v1.OpenShell`
 * `Health` and `GetGatewayInfo` over HTTP/2 (h2c, or TLS asking for a client certificate),
 * and nothing else: no `/healthz`, as the real gateway has none on that port. Built on
 * `node:http2` directly, not on this program's server.
 */
import http2 from "node:http2";
import tls from "node:tls";
import {
  create,
  frameMessage,
  GetGatewayInfoResponseSchema,
  HealthResponseSchema,
  toBinary,
} from "../../src/protocol/mod.ts";
import type { makeCertificates } from "./certificates.ts";

/** How the stand-in answers. */
export interface GrpcGatewayOptions {
  version?: string;
  /** The gRPC status `GetGatewayInfo` answers with (0: the info). */
  infoStatus?: number;
  /** Serve over TLS with these certificates, asking clients for one signed by their CA. */
  tls?: Awaited<ReturnType<typeof makeCertificates>>;
  /**
   * Over TLS, serve clients without a certificate too, and HTTP/2 whether or not ALPN chose
   * it (as a real gateway behind a certificate of its own does).
   */
  anyClient?: boolean;
}

/** A running stand-in. */
export interface GrpcGateway extends AsyncDisposable {
  endpoint: string;
  /** Each request's path, in order. */
  paths: string[];
}

/** Starts a stand-in on a free loopback port. */
export async function serveGrpcGateway(options: GrpcGatewayOptions = {}): Promise<GrpcGateway> {
  const version = options.version ?? "0.0.112-test";
  const paths: string[] = [];
  const pem = options.tls && {
    cert: await Deno.readTextFile(options.tls.server.cert),
    key: await Deno.readTextFile(options.tls.server.key),
  };
  const server = options.tls && !options.anyClient
    ? http2.createSecureServer({
      ...pem,
      ca: await Deno.readTextFile(options.tls.ca),
      requestCert: true,
      rejectUnauthorized: true,
    })
    : http2.createServer();
  // Any client: TLS first, then HTTP/2 on the TLS stream without looking at ALPN.
  const listener = pem && options.anyClient
    ? tls.createServer({ ...pem, ALPNProtocols: ["h2"] }, (socket) => {
      socket.on("error", () => {});
      // node:http2 refuses a TLS stream whose ALPN is not h2; this one speaks h2 regardless.
      socket.alpnProtocol = "h2";
      server.emit("connection", socket);
    })
    : server;
  const sessions = new Set<http2.Http2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const path = String(headers[":path"]);
    paths.push(path);
    stream.resume();
    stream.on("end", () => {
      const reply = (status: number, payload?: Uint8Array, message = "") => {
        if (status !== 0 || payload === undefined) {
          stream.respond({
            ":status": 200,
            "content-type": "application/grpc",
            "grpc-status": String(status),
            "grpc-message": encodeURIComponent(message),
          }, { endStream: true });
          return;
        }
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, {
          waitForTrailers: true,
        });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(frameMessage(payload));
      };
      if (path === "/openshell.v1.OpenShell/Health") {
        reply(
          0,
          toBinary(HealthResponseSchema, create(HealthResponseSchema, { status: 1, version })),
        );
      } else if (path === "/openshell.v1.OpenShell/GetGatewayInfo") {
        const status = options.infoStatus ?? 0;
        reply(
          status,
          toBinary(
            GetGatewayInfoResponseSchema,
            create(GetGatewayInfoResponseSchema, {
              status: 1,
              gatewayVersion: version,
              computeDrivers: [{
                name: "podman",
                capabilities: { driverName: "Podman", driverVersion: "4.3" },
              }],
            }),
          ),
          status === 16 ? "Missing or invalid bearer token" : "denied",
        );
      } else {
        stream.respond({ ":status": 404 }, { endStream: true });
      }
    });
  });
  const port = await new Promise<number>((resolve) => {
    listener.listen(0, "127.0.0.1", () => resolve((listener.address() as { port: number }).port));
  });
  return {
    endpoint: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    paths,
    async [Symbol.asyncDispose]() {
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}
