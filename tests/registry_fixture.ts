import { dirname, join } from "node:path";
import { gatewayMtlsDir, mtlsFilePaths, type RegistryRoots } from "../src/registry/mod.ts";
import { type Certificates, placeClientCertificates } from "./_helpers/certificates.ts";
import type { Sandbox } from "./_helpers/sandbox.ts";

/** The registry roots a sandbox's environment gives. */
export function sandboxRoots(sandbox: Sandbox): RegistryRoots {
  return { user: join(sandbox.config, "openshell"), system: sandbox.system };
}

/** Metadata for a local plaintext gateway named `name`, with `extra` fields merged in. */
export function metadataFor(
  name: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    gateway_endpoint: `http://127.0.0.1:${8000 + name.length}`,
    is_remote: false,
    gateway_port: 0,
    auth_mode: "plaintext",
    ...extra,
  };
}

/** Writes `<root>/gateways/<dir>/metadata.json` (JSON for objects, text as given). */
export async function writeEntry(
  root: string,
  dir: string,
  content: Record<string, unknown> | string = metadataFor(dir),
): Promise<string> {
  const path = join(root, "gateways", dir, "metadata.json");
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.writeTextFile(
    path,
    typeof content === "string" ? content : JSON.stringify(content, null, 2),
  );
  return path;
}

/** Writes `<root>/active_gateway`. */
export async function writeActive(root: string, text: string): Promise<string> {
  await Deno.mkdir(root, { recursive: true });
  const path = join(root, "active_gateway");
  await Deno.writeTextFile(path, text);
  return path;
}

/** Replaces `path` with a symlink to itself: a file that exists but cannot be read, even by root. */
export async function makeUnreadable(path: string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  await Deno.remove(path, { recursive: true }).catch(() => {});
  await Deno.symlink(path, path);
}

/** Every file under `dir` with its content, for before/after comparisons. */
export async function snapshotTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(current: string, prefix: string): Promise<void> {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(current));
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(current, entry.name);
      const key = `${prefix}${entry.name}`;
      if (entry.isDirectory) {
        out[`${key}/`] = "";
        await walk(path, `${key}/`);
      } else if (entry.isSymlink) out[key] = `-> ${await Deno.readLink(path)}`;
      else out[key] = await Deno.readTextFile(path);
    }
  }
  await walk(dir, "");
  return out;
}

const GOLDEN_DIR = join(import.meta.dirname!, "testdata/registry");

/**
 * Compares `actual` (with `root` replaced by `<ROOT>`) with the golden file `name` under
 * tests/testdata/registry. `UPDATE_GOLDEN=1` rewrites the file instead.
 */
export async function assertGolden(name: string, actual: string, root: string): Promise<void> {
  const normalized = actual.replaceAll(root, "<ROOT>");
  const path = join(GOLDEN_DIR, name);
  if (Deno.env.get("UPDATE_GOLDEN") === "1") {
    await Deno.mkdir(GOLDEN_DIR, { recursive: true });
    await Deno.writeTextFile(path, normalized);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(path);
  } catch {
    throw new Error(`Golden file ${path} is missing: run the test with UPDATE_GOLDEN=1`);
  }
  if (normalized !== expected) {
    const { AssertionError } = await import("node:assert");
    throw new AssertionError({
      message: `Output differs from ${path} (UPDATE_GOLDEN=1 rewrites it)`,
      actual: normalized,
      expected,
      operator: "strictEqual",
    });
  }
}

/** A registry with user and system entries, one shadowed, the user's active file set. */
export async function seedRegistry(roots: RegistryRoots): Promise<void> {
  await writeEntry(roots.user, "alpha", metadataFor("alpha", { gateway_port: 8080 }));
  await writeEntry(roots.user, "corp", {
    name: "corp",
    gateway_endpoint: "https://corp.example.com:8443",
    is_remote: true,
    gateway_port: 8443,
    remote_host: "ops@corp.example.com",
    resolved_host: "10.0.0.7",
  });
  await writeEntry(roots.system, "corp", {
    name: "corp",
    gateway_endpoint: "https://gateway.corp.internal",
    is_remote: true,
    gateway_port: 443,
  });
  await writeEntry(roots.system, "edge", {
    name: "edge",
    gateway_endpoint: "https://edge.example.com",
    is_remote: true,
    gateway_port: 443,
    auth_mode: "cloudflare_jwt",
    edge_team_domain: "team.example.com",
  });
  await writeEntry(roots.system, "openshell", {
    name: "openshell",
    gateway_endpoint: "http://127.0.0.1:8080",
    is_remote: false,
    gateway_port: 0,
    auth_mode: "plaintext",
  });
  await writeActive(roots.user, "alpha");
  await writeActive(roots.system, "openshell\n");
}

/** Registers `endpoint` as user gateway `name` with the CA, and the client certificate unless `anonymous`. */
export async function registerMtls(
  sandbox: Sandbox,
  name: string,
  endpoint: string,
  certs: Certificates,
  anonymous = false,
): Promise<void> {
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, name, {
    name,
    gateway_endpoint: endpoint,
    is_remote: false,
    gateway_port: 0,
    auth_mode: "mtls",
  });
  await placeClientCertificates(certs, mtlsFilePaths(gatewayMtlsDir(roots, name)), anonymous);
  await writeActive(roots.user, name);
}
