/**
 * The log of a detached gateway: one file holding the gateway's JSON lines and the
 * launcher's messages, capped in size with one rotation (`gateway.log.1`). The launcher and
 * the container write it through one append-mode descriptor, so rotation copies the file
 * aside and truncates it in place; readers following it notice the truncation and pick up
 * what they missed from the rotated copy.
 *
 * @module
 */
import { dirname, join } from "../path/mod.ts";
import { type EnvLookup, openshellDir } from "../host/mod.ts";

/** The size at which the log is rotated, unless `OPENSHELL_LOG_MAX_BYTES` says otherwise. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

/** The variable that sets the rotation size in bytes. */
const LOG_MAX_BYTES_VARIABLE = "OPENSHELL_LOG_MAX_BYTES";

/**
 * The rotation size: `OPENSHELL_LOG_MAX_BYTES` when it is a positive whole number, else
 * {@linkcode LOG_MAX_BYTES}.
 *
 * @example
 * ```ts
 * logMaxBytes((n) => ({ OPENSHELL_LOG_MAX_BYTES: "4096" })[n]); // 4096
 * ```
 */
export function logMaxBytes(env: EnvLookup): number {
  const value = env(LOG_MAX_BYTES_VARIABLE)?.trim() ?? "";
  return /^[1-9]\d*$/.test(value) ? Number(value) : LOG_MAX_BYTES;
}

/**
 * Where a detached gateway's log lives: beside its state, or for root (whose gateway state
 * belongs to the container's user, who could point the file elsewhere) in a root-only
 * `logs/` dir.
 *
 * @example
 * ```ts
 * gatewayLogPath((n) => ({ XDG_STATE_HOME: "/s" })[n], 1000, "dev");
 * // "/s/openshell/gateways/dev/gateway.log"
 * ```
 */
export function gatewayLogPath(env: EnvLookup, uid: number, name: string): string {
  const state = openshellDir("state", env, uid);
  return uid === 0
    ? join(state, "logs", name, "gateway.log")
    : join(state, "gateways", name, "gateway.log");
}

/** The rotated copy of `path`. */
export function rotatedLogPath(path: string): string {
  return `${path}.1`;
}

/**
 * Rotates `path` when it has grown past `maxBytes`: its content replaces `<path>.1`, then it
 * is truncated (writers in append mode go on at its new end).
 *
 * @returns whether it rotated.
 */
export async function rotateLogIfLarge(path: string, maxBytes = LOG_MAX_BYTES): Promise<boolean> {
  const info = await Deno.stat(path).catch(() => undefined);
  if (info === undefined || info.size <= maxBytes) return false;
  const temp = join(dirname(path), `.${crypto.randomUUID()}.tmp`);
  await Deno.copyFile(path, temp);
  await Deno.rename(temp, rotatedLogPath(path));
  await Deno.truncate(path, 0);
  return true;
}

/**
 * The last `lines` lines of the log (with the rotated copy before it when the current file
 * holds fewer); the whole log when `lines` is undefined.
 */
export async function readLogTail(path: string, lines?: number): Promise<string> {
  const read = (p: string) => Deno.readTextFile(p).catch(() => "");
  let text = await read(path);
  if (lines === undefined || countLines(text) < lines) {
    text = (await read(rotatedLogPath(path))) + text;
  }
  if (lines === undefined) return text;
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all.length === 0 || lines === 0 ? "" : all.slice(-lines).join("\n") + "\n";
}

function countLines(text: string): number {
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

/**
 * Writes what is appended to the log after `offset` to `write` until `signal` aborts,
 * across rotations: after one, the rest of the rotated copy comes first, then the file
 * from its start.
 */
export async function followLog(
  path: string,
  offset: number,
  write: (chunk: Uint8Array) => Promise<void> | void,
  signal: AbortSignal,
  intervalMs = 200,
): Promise<void> {
  let position = offset;
  // Each rotation puts a new file at `<path>.1`: a changed inode there means one happened.
  const rotatedIno = async () =>
    (await Deno.stat(rotatedLogPath(path)).catch(() => undefined))?.ino ?? null;
  let rotated = await rotatedIno();
  while (!signal.aborted) {
    const size = (await Deno.stat(path).catch(() => undefined))?.size ?? 0;
    const now = await rotatedIno();
    if (now !== rotated || size < position) {
      if (now !== rotated) await copyRange(rotatedLogPath(path), position, write);
      rotated = now;
      position = 0;
    }
    if (size > position) position = await copyRange(path, position, write);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener("abort", () => {
        clearTimeout(timer);
        resolve();
      }, { once: true });
    });
  }
}

/** Copies `path` from `from` to its current end; returns the end reached. */
async function copyRange(
  path: string,
  from: number,
  write: (chunk: Uint8Array) => Promise<void> | void,
): Promise<number> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch {
    return from;
  }
  try {
    await file.seek(from, Deno.SeekMode.Start);
    let position = from;
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await file.read(buffer);
      if (n === null || n === 0) return position;
      await write(buffer.slice(0, n));
      position += n;
    }
  } finally {
    file.close();
  }
}
