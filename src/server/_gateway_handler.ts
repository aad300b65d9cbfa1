/**
 * The gateway's routes, answered from what both protocol readers parse: the method, the path and
 * the header fields. No `Request` or `Response` object is made per request (they cost more than
 * the rest of an answer): bodies are framed, limited and refused by the readers, which is all a
 * route needs of them, since no route takes a body.
 *
 * @module
 */
import { constantTimeEqual } from "./_constant_time_equal.ts";

/** What a route sees of a request. */
export interface GatewayRequest {
  method: string;
  /** The path, without the query. */
  path: string;
  /** The value of a header field (the name in lower case), or null when absent. */
  header(name: string): string | null;
}

/**
 * An answer: its status, its header fields besides the length, and its JSON text. A frozen
 * answer is constant: a route gives it to every request with the same method, path and header
 * fields, so the HTTP/1.1 reader gives it again, unasked, to a request repeating that head.
 */
export interface GatewayAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Answers one request; synchronously when it can. */
export type GatewayHandler = (request: GatewayRequest) => GatewayAnswer | Promise<GatewayAnswer>;

/** Facts `/v1/info` reports; `uptimeSeconds` is computed per request. */
export interface GatewayIdentity {
  name: string;
  version: string;
  pid: number;
  uid: number;
  /** How many times this gateway has started with its state dir, this start included. */
  starts: number;
}

/** What {@linkcode createGatewayHandler} needs. */
export interface GatewayHandlerOptions {
  identity: GatewayIdentity;
  /** The API bearer token. */
  token: string;
  /** When the gateway started, in milliseconds (the clock `now` uses). */
  startedAt: number;
  /** The clock (milliseconds); injectable so uptime is testable. */
  now?: () => number;
  /** Every connection came with a verified client certificate (mTLS): no token is asked. */
  clientCertificates?: boolean;
}

type Route = {
  methods: readonly string[];
  auth: boolean;
  respond: GatewayHandler;
};

/**
 * Builds the gateway's request handler: `GET /healthz` without auth (the same answer to every
 * client), `GET /v1/info` with a bearer token compared in constant time.
 * Unknown paths get 404, other methods 405, a missing or wrong token 401. Every answer is JSON.
 *
 * @example
 * ```ts
 * import { createGatewayHandler } from "./_gateway_handler.ts";
 * const identity = { name: "local", version: "0.1.0", pid: Deno.pid, uid: 0, starts: 1 };
 * const handler = createGatewayHandler({ identity, token: "t", startedAt: Date.now() });
 * (await handler({ method: "GET", path: "/healthz", header: () => null })).status; // 200
 * ```
 */
export function createGatewayHandler(options: GatewayHandlerOptions): GatewayHandler {
  const now = options.now ?? Date.now;
  const routes: Record<string, Route> = {
    "/healthz": {
      methods: ["GET", "HEAD"],
      auth: false,
      respond: () => HEALTHY,
    },
    "/v1/info": {
      methods: ["GET", "HEAD"],
      auth: true,
      respond: () => {
        const { name, version, pid, uid, starts } = options.identity;
        const uptimeSeconds = Math.max(0, (now() - options.startedAt) / 1000);
        return json(200, { name, version, uptime_seconds: uptimeSeconds, pid, uid, starts });
      },
    },
  };
  return (request) => {
    const path = request.path;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return json(404, { error: `Not found: "${path}"` });
    if (!route.methods.includes(request.method)) {
      return json(405, { error: `Method not allowed: "${request.method}"` }, {
        allow: route.methods.join(", "),
      });
    }
    if (
      route.auth && !options.clientCertificates &&
      !bearerAuthorized(request.header("authorization"), options.token)
    ) {
      return json(401, { error: "Missing or invalid bearer token" }, {
        "www-authenticate": 'Bearer realm="openshell"',
      });
    }
    return route.respond(request);
  };
}

/**
 * Whether an `authorization` header carries the bearer token (compared in constant time).
 *
 * @example
 * ```ts
 * import { bearerAuthorized } from "./_gateway_handler.ts";
 * bearerAuthorized("Bearer t", "t"); // true
 * ```
 */
export function bearerAuthorized(header: string | null, token: string): boolean {
  const match = /^Bearer (.+)$/i.exec(header ?? "");
  // Compare even when the header is absent so the timing never says which case it was.
  return constantTimeEqual(match?.[1] ?? "", token) && match !== null && token !== "";
}

/**
 * A JSON answer, the shape of every answer the gateway gives over HTTP.
 *
 * @example
 * ```ts
 * import { json } from "./_gateway_handler.ts";
 * json(400, { error: "Malformed request" }).status; // 400
 * ```
 */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): GatewayAnswer {
  return {
    status,
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body) + "\n",
  };
}

/** The answer to every unchallenged health check. */
const HEALTHY: GatewayAnswer = Object.freeze(json(200, { ok: true }));
