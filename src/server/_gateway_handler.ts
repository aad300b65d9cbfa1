import { constantTimeEqual } from "./_constant_time_equal.ts";
import { CHALLENGE_HEADER, isChallenge, launchProof, PROOF_HEADER } from "../contract/mod.ts";

/** The largest request body the gateway accepts, in bytes. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** The error of an answer refusing a body over {@linkcode MAX_REQUEST_BYTES}. */
export const BODY_TOO_LARGE = `Request body larger than ${MAX_REQUEST_BYTES} bytes`;

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
  respond: (request: Request) => Response | Promise<Response>;
};

/**
 * Builds the gateway's request handler: `GET /healthz` without auth (answering a launcher's
 * challenge with its proof), `GET /v1/info` with a bearer token compared in constant time.
 * Oversized bodies get 413, unknown paths 404, other methods 405, a missing or wrong token
 * 401. Every answer is JSON.
 *
 * @example
 * ```ts
 * import { createGatewayHandler } from "./_gateway_handler.ts";
 * const identity = { name: "local", version: "0.1.0", pid: Deno.pid, uid: 0, starts: 1 };
 * const handler = createGatewayHandler({ identity, token: "t", startedAt: Date.now() });
 * (await handler(new Request("http://x/healthz"))).status; // 200
 * ```
 */
export function createGatewayHandler(
  options: GatewayHandlerOptions,
): (request: Request) => Promise<Response> {
  const now = options.now ?? Date.now;
  const routes: Record<string, Route> = {
    "/healthz": {
      methods: ["GET", "HEAD"],
      auth: false,
      // A launcher's challenge is answered with its proof (see `launch_proof.ts`).
      respond: async (request) => {
        const challenge = request.headers.get(CHALLENGE_HEADER);
        if (!isChallenge(challenge) || options.token === "") return json(200, { ok: true });
        return json(200, { ok: true }, {
          [PROOF_HEADER]: await launchProof(options.token, challenge),
        });
      },
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
  return async (request) => {
    if (!(await bodyWithinLimit(request))) {
      return json(413, { error: BODY_TOO_LARGE });
    }
    const path = new URL(request.url).pathname;
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route) return json(404, { error: `Not found: "${path}"` });
    if (!route.methods.includes(request.method)) {
      return json(405, { error: `Method not allowed: "${request.method}"` }, {
        allow: route.methods.join(", "),
      });
    }
    if (
      route.auth && !options.clientCertificates &&
      !bearerAuthorized(request.headers.get("authorization"), options.token)
    ) {
      return json(401, { error: "Missing or invalid bearer token" }, {
        "www-authenticate": 'Bearer realm="openshell"',
      });
    }
    return await route.respond(request);
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

/** Reads the body up to the limit; false when it declares or carries more. */
async function bodyWithinLimit(request: Request): Promise<boolean> {
  const declared = request.headers.get("content-length");
  if (declared !== null && !(Number(declared) <= MAX_REQUEST_BYTES)) return false;
  if (request.body === null) return true;
  let total = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return true;
      total += value.length;
      if (total > MAX_REQUEST_BYTES) return false;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
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
): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}
