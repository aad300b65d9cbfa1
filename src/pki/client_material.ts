import * as x509 from "@peculiar/x509";

/** A certificate with its X.509 version (0: v1, 1: v2, 2: v3), which the library keeps inside. */
class VersionedCertificate extends x509.X509Certificate {
  get x509Version(): number {
    return this.asn.tbsCertificate.version;
  }
}

/** The version number rustls (and so this program's TLS client) requires of certificates. */
const V3 = 2;

/** What is wrong with one file of client TLS material, in words, and how to fix it. */
export interface MaterialProblem {
  message: string;
  hint: string;
}

/**
 * Why a CA or client certificate (PEM text, from `path`) cannot be used by this program's
 * TLS client, or undefined when it can: it does not parse, or it is not an X.509 v3
 * certificate (what `openssl x509 -req` makes without extensions is v1, which TLS rejects
 * with `UnsupportedCertVersion`).
 *
 * @example
 * ```ts
 * const pem = await Deno.readTextFile("client.crt");
 * certificateProblem("client certificate", "client.crt", pem)?.message;
 * // 'The client certificate "client.crt" is an X.509 v1 certificate ...'
 * ```
 */
export function certificateProblem(
  what: string,
  path: string,
  pem: string,
): MaterialProblem | undefined {
  let cert: VersionedCertificate;
  try {
    cert = new VersionedCertificate(pem);
  } catch {
    return {
      message: `The ${what} "${path}" is not a PEM certificate`,
      hint:
        `Give the certificate file itself (\`openssl x509 -in ${path} -noout -text\` reads one)`,
    };
  }
  if (cert.x509Version === V3) return undefined;
  return {
    message: `The ${what} "${path}" is an X.509 v${cert.x509Version + 1} certificate ` +
      "(no extensions); TLS accepts only v3 certificates",
    hint: "Issue it again as v3: give `openssl x509 -req` the extensions, with " +
      "`-extfile client.ext` (a file such as `extendedKeyUsage=clientAuth`) or " +
      "`-copy_extensions copy` to take those of the request",
  };
}
