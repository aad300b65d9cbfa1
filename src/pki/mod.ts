/**
 * The PKI of a gateway served with mTLS: a CA, a server certificate for the names clients
 * reach it at and a client certificate, generated once per gateway and checked before it is
 * used again; and the check of certificates given to `gateway add`. Loaded by `serve` and
 * by `gateway add` with certificates only: building and parsing certificates is never on a
 * path that reads the registry.
 *
 * @example
 * ```ts
 * import { generateGatewayPki, pkiMismatch, serverNames } from "./mod.ts";
 * const names = serverNames("127.0.0.1");
 * const pki = await generateGatewayPki(names);
 * await pkiMismatch(pki, names); // undefined: it serves these names
 * ```
 *
 * @module
 */
export {
  DEFAULT_SERVER_NAMES,
  type GatewayPki,
  generateGatewayPki,
  pkiMismatch,
  pkiValidity,
  serverNames,
} from "./gateway_pki.ts";
export { certificateProblem, type MaterialProblem } from "./client_material.ts";
