/**
 * A served gateway's PKI, as NVIDIA OpenShell's local gateway makes it: a CA, a server
 * certificate for the names and addresses clients reach the gateway at, and a client
 * certificate, all signed by that CA (ECDSA P-256 keys through WebCrypto, certificates built
 * by `@peculiar/x509`). A stored PKI is checked before it is used again: every file present,
 * each certificate signed by the CA, each key matching its certificate, the server
 * certificate covering every name asked for and valid now.
 *
 * @module
 */
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(crypto);

/** The PEM texts of a gateway's PKI. The CA's key is not kept: nothing signs later. */
export interface GatewayPki {
  /** The CA certificate (clients trust it; the server checks client certificates with it). */
  ca: string;
  /** The server certificate and its PKCS#8 key. */
  serverCert: string;
  serverKey: string;
  /** The client certificate and its PKCS#8 key. */
  clientCert: string;
  clientKey: string;
}

/** The names every server certificate covers, as upstream's local gateway does. */
export const DEFAULT_SERVER_NAMES: readonly string[] = [
  "openshell",
  "openshell.openshell.svc",
  "openshell.openshell.svc.cluster.local",
  "localhost",
  "openshell.localhost",
  "*.openshell.localhost",
  "host.docker.internal",
  "host.containers.internal",
  "127.0.0.1",
  "::1",
];

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
/** Upstream's certificates never expire in practice; neither do these. */
const NOT_AFTER = new Date("4096-01-01T00:00:00Z");
/** Back-dated a little, so a clock slightly behind still accepts a new certificate. */
const BACKDATE_MS = 60 * 60 * 1000;

/**
 * The names a server certificate must cover: upstream's defaults, then the listen host when
 * it is a specific one (not `0.0.0.0` or `::`), without repeats.
 *
 * @example
 * ```ts
 * import { serverNames } from "./mod.ts";
 * serverNames("192.168.1.5").at(-1); // "192.168.1.5"
 * serverNames("0.0.0.0").length === serverNames("127.0.0.1").length; // true
 * ```
 */
export function serverNames(listenHost: string): string[] {
  const names = [...DEFAULT_SERVER_NAMES];
  const host = listenHost.replace(/^\[(.*)\]$/, "$1");
  if (!["0.0.0.0", "::", ""].includes(host) && !names.includes(host)) names.push(host);
  return names;
}

/** Whether `name` is an IPv4 or IPv6 address rather than a DNS name. */
function isAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":");
}

/**
 * Generates a new PKI whose server certificate covers `names`.
 *
 * @example
 * ```ts
 * import { generateGatewayPki, serverNames } from "./mod.ts";
 * const pki = await generateGatewayPki(serverNames("127.0.0.1"));
 * pki.clientKey.startsWith("-----BEGIN PRIVATE KEY-----"); // true
 * ```
 */
export async function generateGatewayPki(names: readonly string[]): Promise<GatewayPki> {
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const caKeys = await newKeys();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: "O=openshell, CN=openshell-ca",
    notBefore,
    notAfter: NOT_AFTER,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const leaf = async (subject: string, extensions: x509.Extension[]) => {
    const keys = await newKeys();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject,
      issuer: ca.subject,
      notBefore,
      notAfter: NOT_AFTER,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        await x509.AuthorityKeyIdentifierExtension.create(ca, false),
        ...extensions,
      ],
    });
    const key = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
    return { cert: cert.toString("pem"), key: x509.PemConverter.encode(key, "PRIVATE KEY") };
  };
  const server = await leaf("CN=openshell-server", [
    new x509.SubjectAlternativeNameExtension(
      names.map((value) => ({ type: isAddress(value) ? "ip" as const : "dns" as const, value })),
    ),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
  ]);
  const client = await leaf("CN=openshell-client, OU=openshell-user", [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
  ]);
  return {
    ca: ca.toString("pem"),
    serverCert: server.cert,
    serverKey: server.key,
    clientCert: client.cert,
    clientKey: client.key,
  };
}

/**
 * Why a stored PKI cannot serve `names`, or undefined when it can: a certificate or key that
 * does not parse, a certificate not signed by the CA or not valid now, a key that is not its
 * certificate's, a server certificate missing one of the names.
 *
 * @example
 * ```ts
 * import { generateGatewayPki, pkiMismatch, serverNames } from "./mod.ts";
 * const pki = await generateGatewayPki(serverNames("127.0.0.1"));
 * await pkiMismatch(pki, serverNames("10.0.0.2")); // "the server certificate does not cover 10.0.0.2"
 * ```
 */
export async function pkiMismatch(
  pki: GatewayPki,
  names: readonly string[],
): Promise<string | undefined> {
  let ca: x509.X509Certificate, server: x509.X509Certificate, client: x509.X509Certificate;
  try {
    ca = new x509.X509Certificate(pki.ca);
    server = new x509.X509Certificate(pki.serverCert);
    client = new x509.X509Certificate(pki.clientCert);
  } catch {
    return "a certificate does not parse";
  }
  const now = new Date();
  for (const [what, cert] of [["server", server], ["client", client]] as const) {
    if (!(await cert.verify({ publicKey: ca, date: now }))) {
      return `the ${what} certificate is not signed by the CA or not valid now`;
    }
    const key = what === "server" ? pki.serverKey : pki.clientKey;
    if (!(await keyMatches(key, cert))) return `the ${what} key is not its certificate's`;
  }
  const covered = new Set(
    server.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) =>
      n.type === "ip" ? normalizeAddress(n.value) : n.value
    ) ?? [],
  );
  const missing = names.find((name) =>
    !covered.has(isAddress(name) ? normalizeAddress(name) : name)
  );
  return missing === undefined ? undefined : `the server certificate does not cover ${missing}`;
}

/** Whether a PKCS#8 EC key is the private half of `cert`'s public key. */
async function keyMatches(pem: string, cert: x509.X509Certificate): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey(
      "pkcs8",
      x509.PemConverter.decodeFirst(pem),
      ALGORITHM,
      true,
      ["sign"],
    );
    const jwk = await crypto.subtle.exportKey("jwk", key);
    const pub = await crypto.subtle.exportKey(
      "jwk",
      await cert.publicKey.export(ALGORITHM, ["verify"]),
    );
    return jwk.x === pub.x && jwk.y === pub.y;
  } catch {
    return false;
  }
}

/** An address in one spelling (`::1` and `0:0:0:0:0:0:0:1` alike). */
function normalizeAddress(address: string): string {
  if (!address.includes(":")) return address;
  const [head = "", tail = ""] = address.split("::");
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const left = groups(head), right = groups(tail);
  const middle = address.includes("::") ? Array(8 - left.length - right.length).fill("0") : [];
  return [...left, ...middle, ...right].map((g) => parseInt(g, 16).toString(16)).join(":");
}

function newKeys(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]) as Promise<CryptoKeyPair>;
}

/** A positive random 128-bit serial number in hex. */
function serial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f | 0x01;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * When every certificate of `pki` is valid: from the latest `notBefore` to the earliest
 * `notAfter`, in milliseconds since the epoch.
 *
 * @throws {Error} when a certificate does not parse.
 * @example
 * ```ts
 * import { generateGatewayPki, pkiValidity, serverNames } from "./mod.ts";
 * const { until } = pkiValidity(await generateGatewayPki(serverNames("127.0.0.1")));
 * ```
 */
export function pkiValidity(pki: GatewayPki): { from: number; until: number } {
  const certs = [pki.ca, pki.serverCert, pki.clientCert].map((pem) =>
    new x509.X509Certificate(pem)
  );
  return {
    from: Math.max(...certs.map((cert) => cert.notBefore.getTime())),
    until: Math.min(...certs.map((cert) => cert.notAfter.getTime())),
  };
}
