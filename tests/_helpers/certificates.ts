import { dirname, join } from "node:path";

/**
 * A throwaway CA, and a server and a client certificate it signed, made with openssl in `dir`
 * (made if missing); the server certificate is for the IP addresses `ips`.
 */
export async function makeCertificates(dir: string, ips = ["127.0.0.1"]) {
  await Deno.mkdir(dir, { recursive: true });
  const openssl = async (...args: string[]) => {
    const output = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    })
      .output();
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=test-ca",
  );
  // extensions make these X.509 v3 certificates, the only version TLS clients accept
  await Deno.writeTextFile(
    join(dir, "server.ext"),
    `subjectAltName=${ips.map((ip) => `IP:${ip}`).join(",")}\n`,
  );
  await Deno.writeTextFile(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    await openssl(
      "req",
      ...ec,
      "-keyout",
      `${who}.key`,
      "-out",
      `${who}.csr`,
      "-subj",
      `/CN=${who}`,
    );
    await openssl(
      "x509",
      "-req",
      "-in",
      `${who}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${who}.crt`,
      "-days",
      "1",
      "-extfile",
      `${who}.ext`,
    );
  }
  const path = (name: string) => join(dir, name);
  return {
    ca: path("ca.crt"),
    server: { cert: path("server.crt"), key: path("server.key") },
    client: { cert: path("client.crt"), key: path("client.key") },
  };
}

/** What {@linkcode makeCertificates} made: the paths of its PEM files. */
export type Certificates = Awaited<ReturnType<typeof makeCertificates>>;

/**
 * Copies the CA of `certs` and, unless `anonymous`, its client certificate and key to the
 * paths of `to` (a registration's `mtls/` files or a gateway package's), making their dirs.
 */
export async function placeClientCertificates(
  certs: Certificates,
  to: { ca: string; cert: string; key: string },
  anonymous = false,
): Promise<void> {
  const copies: [string, string][] = [[certs.ca, to.ca]];
  if (!anonymous) copies.push([certs.client.cert, to.cert], [certs.client.key, to.key]);
  for (const [from, path] of copies) {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.copyFile(from, path);
  }
}

/**
 * An HTTPS server on `hostname` (loopback unless given) presenting the server certificate of
 * `certs`, answering 200.
 */
export async function serveHttps(
  certs: Certificates,
  hostname = "127.0.0.1",
): Promise<Deno.HttpServer<Deno.NetAddr>> {
  return Deno.serve({
    hostname,
    port: 0,
    onListen() {},
    cert: await Deno.readTextFile(certs.server.cert),
    key: await Deno.readTextFile(certs.server.key),
  }, () => new Response("ok"));
}
