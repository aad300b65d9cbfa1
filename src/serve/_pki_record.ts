/**
 * The last full check of a served gateway's stored PKI, kept in the cache so that a warm
 * start does not load the certificate code to check the same files again: a record holds
 * the digest of what was checked (the five files, the listen host and the program version)
 * and the window in which every certificate is valid. A PKI whose digest matches is taken
 * only inside that window; anything else is checked in full again.
 *
 * @module
 */
import denoJson from "../../deno.json" with { type: "json" };
import { dirname, join } from "../path/mod.ts";
import { atomicWriteFile } from "../files/mod.ts";
import { readRegularTextFileSync, REGISTRY_FILE_MAX_BYTES } from "../bounded_read/mod.ts";
import { type EnvLookup, openshellDir } from "../host/mod.ts";
import type { GatewayPki } from "../pki/mod.ts";

/** What a record says: the digest checked and when its certificates are valid (epoch ms). */
export interface PkiPass {
  key: string;
  from: number;
  until: number;
}

/** Where the pass of gateway `name`'s PKI is recorded. */
export function pkiRecordPath(env: EnvLookup, uid: number, name: string): string {
  return join(openshellDir("cache", env, uid), "pki-checks", `${name}.json`);
}

/** The digest a record is keyed by: the PKI's files, the listen host and the program version. */
export async function pkiCheckKey(pki: GatewayPki, listenHost: string): Promise<string> {
  const text = JSON.stringify([
    denoJson.version,
    listenHost,
    pki.ca,
    pki.serverCert,
    pki.serverKey,
    pki.clientCert,
    pki.clientKey,
  ]);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Whether the record `text` passes the PKI with digest `key` at `now`: the same digest, and
 * `now` inside the certificates' window. A record that does not parse passes nothing.
 *
 * @example
 * ```ts
 * import { recordedPass } from "./_pki_record.ts";
 * recordedPass('{"key":"ab","from":0,"until":2000}', "ab", 1000); // true
 * recordedPass('{"key":"ab","from":0,"until":2000}', "ab", 3000); // false: expired
 * ```
 */
export function recordedPass(text: string, key: string, now: number): boolean {
  let record: Partial<PkiPass>;
  try {
    record = JSON.parse(text);
  } catch {
    return false;
  }
  return typeof record === "object" && record !== null && record.key === key &&
    typeof record.from === "number" && typeof record.until === "number" &&
    record.from <= now && now < record.until;
}

/** Whether the record at `path` passes the PKI with digest `key` now. */
export function passedBefore(path: string, key: string): boolean {
  try {
    return recordedPass(readRegularTextFileSync(path, REGISTRY_FILE_MAX_BYTES), key, Date.now());
  } catch {
    return false;
  }
}

/**
 * Records a full check's pass (best effort: without it the next start checks in full). Only the
 * records' own dir is made, private: the cache dir above it is the rootfs cache's to make, which
 * the container's root must traverse (made here first, 0700, it would lock the container out).
 */
export async function recordPass(path: string, pass: PkiPass): Promise<void> {
  try {
    await Deno.mkdir(dirname(path), { mode: 0o700 }).catch((error) => {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    });
    await atomicWriteFile(path, JSON.stringify(pass) + "\n", { mode: 0o600 });
  } catch {
    // the next start checks in full
  }
}
