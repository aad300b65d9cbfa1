/**
 * Where `serve --name NAME` listens, so that serving never moves a registration the user did
 * not ask to change: without `--listen`, where NAME is registered (else the default); with
 * `--listen` at another address than the registration's, a refusal that says how to keep it
 * or replace it. And what a listen address exposes.
 *
 * @module
 */
import { programCommand } from "../errors/mod.ts";
import type { ServeAuth } from "./serve_args.ts";

/** A host and port to listen on or connect to. */
export interface ListenAddress {
  hostname: string;
  port: number;
}

/** What `serve` serves with: the address it listens on and how clients log in. */
export interface ServedSetting {
  address: string;
  auth: ServeAuth;
}

/** How `serve` decided: `serve` with a setting, or a `conflict` to refuse with. */
export type ServedListen =
  | ({ kind: "serve" } & ServedSetting)
  | { kind: "conflict"; message: string; hint: string };

/**
 * Decides the address `serve` listens on and its auth: what is given, else what the
 * registration `serve` made for `name` holds, else the defaults; given ones that would
 * change that registration are a conflict.
 *
 * @param name the gateway served.
 * @param given `--listen` and `--auth`, each `undefined` when not given.
 * @param registered the endpoint of the registration `serve` made for `name` earlier.
 * @param defaults the default address and auth.
 * @param reached where clients reach a listen address (`0.0.0.0` is reached at 127.0.0.1).
 * @example
 * ```ts
 * const reached = (a: string) => ({ hostname: a.split(":")[0]!, port: Number(a.split(":")[1]) });
 * servedListen("dev", {}, "http://127.0.0.1:36042", { address: "127.0.0.1:8090", auth: "mtls" }, reached);
 * // { kind: "serve", address: "127.0.0.1:36042", auth: "token" }
 * ```
 */
export function servedListen(
  name: string,
  given: { address?: string | undefined; auth?: ServeAuth | undefined },
  registered: string | undefined,
  defaults: ServedSetting,
  reached: (address: string) => ListenAddress,
): ServedListen {
  const at = registered === undefined || !URL.canParse(registered)
    ? undefined
    : new URL(registered);
  if (at === undefined) {
    return {
      kind: "serve",
      address: given.address ?? defaults.address,
      auth: given.auth ?? defaults.auth,
    };
  }
  const port = at.port === "" ? (at.protocol === "https:" ? 443 : 80) : Number(at.port);
  const hostname = at.hostname.replace(/^\[(.*)\]$/, "$1");
  const kept: ServedSetting = {
    address: `${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`,
    auth: at.protocol === "https:" ? "mtls" : "token",
  };
  const wanted = given.address === undefined ? undefined : reached(given.address);
  const moves = wanted !== undefined && (wanted.hostname !== hostname || wanted.port !== port);
  const switches = given.auth !== undefined && given.auth !== kept.auth;
  if (!moves && !switches) {
    return { kind: "serve", address: given.address ?? kept.address, auth: kept.auth };
  }
  const asked = [
    ...(moves ? [`on ${given.address}`] : []),
    ...(switches ? [`with --auth ${given.auth}`] : []),
  ].join(" ");
  return {
    kind: "conflict",
    message: `Gateway "${name}" is registered at ${registered}; serving it ${asked} ` +
      "would change its registration",
    hint: `Serve it as it is registered: \`${programCommand("serve", "--name", name)}\`; ` +
      `or remove it first to register it anew: \`${programCommand("gateway", "remove", name)}\``,
  };
}

/**
 * The warning for a listen address that every interface shares (`0.0.0.0`, `::`);
 * `undefined` for any other.
 *
 * @example
 * ```ts
 * exposureWarning({ hostname: "0.0.0.0", port: 8090 }, "token")?.startsWith("--listen"); // true
 * ```
 */
export function exposureWarning(listen: ListenAddress, auth: ServeAuth): string | undefined {
  if (listen.hostname !== "0.0.0.0" && listen.hostname !== "::") return undefined;
  const what = auth === "mtls"
    ? "to every host that can reach this one"
    : "in plaintext (its API token crosses the network readable)";
  const host = listen.hostname.includes(":") ? `[${listen.hostname}]` : listen.hostname;
  return `--listen ${host}:${listen.port} serves the gateway on every interface, ${what}; ` +
    "use 127.0.0.1 unless other hosts must reach it";
}
