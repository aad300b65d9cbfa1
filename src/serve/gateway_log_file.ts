/**
 * The log of a detached gateway: one file holding the gateway's JSON lines and the
 * launcher's messages, capped in size with one rotation (`gateway.log.1`). It lives outside
 * the state dir, where the container cannot write. The launcher is its only writer while it
 * serves: it rotates before a write would pass the cap (the file is renamed and a new one
 * begun, so a reader holding the old one reads it to its end), and a write that fails (a
 * full disk) costs the lines, never the service: they are counted, and said when writing
 * works again. Readers open it under the files rule (no link, a regular file of its owner,
 * bounded reads), since root reads a user's.
 *
 * @module
 */
import { join } from "../path/mod.ts";
import { type EnvLookup, openshellDir } from "../host/mod.ts";
import { openUntrusted, type UntrustedFile } from "../files/mod.ts";
import { osReason } from "../errors/mod.ts";

/** The size at which the log is rotated, unless `OPENSHELL_LOG_MAX_BYTES` says otherwise. */
export const LOG_MAX_BYTES = 10 * 1024 * 1024;

/** The most `gateway logs` reads back from the end of a log and its rotated part. */
export const LOG_READ_MAX_BYTES = 32 * 1024 * 1024;

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
 * Where a detached gateway's log lives: in `logs/` beside the state dirs, never in the
 * state dir the container writes (which could replace the file with a link).
 *
 * @example
 * ```ts
 * gatewayLogPath((n) => ({ XDG_STATE_HOME: "/s" })[n], 1000, "dev");
 * // "/s/openshell/logs/dev/gateway.log"
 * ```
 */
export function gatewayLogPath(env: EnvLookup, uid: number, name: string): string {
  return join(openshellDir("state", env, uid), "logs", name, "gateway.log");
}

/** The rotated copy of `path`. */
export function rotatedLogPath(path: string): string {
  return `${path}.1`;
}

/** The variable through which `serve --detach` hands its launcher the log it writes. */
export const SERVE_LOG_VARIABLE = "OPENSHELL_SERVE_LOG";

/**
 * The log a detached launcher writes (handed over by `serve --detach`); `undefined` in the
 * foreground.
 */
export function openDetachedLog(env: EnvLookup): GatewayLogWriter | undefined {
  const path = env(SERVE_LOG_VARIABLE);
  return path ? openLogWriter(path, logMaxBytes(env)) : undefined;
}

/** The launcher's writer of its log. */
export interface GatewayLogWriter extends Disposable {
  /** Appends `bytes`; never throws (what cannot be written is counted). */
  write(bytes: Uint8Array): void;
}

/**
 * Opens the log at `path` for the launcher: appends, rotates before passing `maxBytes`
 * (at a line end when one fits), and counts lines it could not write.
 *
 * @example
 * ```ts
 * using log = openLogWriter("/home/a/.local/state/openshell/logs/dev/gateway.log", 1 << 20);
 * log.write(new TextEncoder().encode("hello\n"));
 * ```
 */
export function openLogWriter(path: string, maxBytes: number): GatewayLogWriter {
  const encoder = new TextEncoder();
  const open = () => Deno.openSync(path, { append: true, create: true, mode: 0o600 });
  let file: Deno.FsFile | undefined;
  let dropped = 0;
  let reason = "";
  const size = () => {
    try {
      file ??= open();
      return file.statSync().size;
    } catch {
      return 0;
    }
  };
  const rotate = () => {
    try {
      Deno.renameSync(path, rotatedLogPath(path));
    } catch {
      return; // kept writing past the cap rather than losing lines
    }
    file?.close();
    file = undefined;
  };
  // Whether the file ends inside a line (a write cut short by a full disk).
  let midLine = false;
  const append = (bytes: Uint8Array) => {
    let data = bytes;
    if (dropped > 0) {
      const notice = `${midLine ? "\n" : ""}openshell: ${dropped} log line(s) could not be ` +
        `written (${reason}) and were dropped\n`;
      data = new Uint8Array([...encoder.encode(notice), ...bytes]);
    }
    let written = 0;
    try {
      file ??= open();
      while (written < data.length) written += file.writeSync(data.subarray(written));
      dropped = 0;
    } catch (error) {
      const lost = bytes.subarray(Math.max(0, written - (data.length - bytes.length)));
      dropped += Math.max(1, lost.filter((b) => b === 10).length);
      reason = osReason(error);
    }
    if (written > 0) midLine = data[written - 1] !== 10;
  };
  return {
    write(bytes) {
      let rest = bytes;
      while (rest.length > 0) {
        const room = maxBytes - size();
        if (rest.length <= room) {
          append(rest);
          return;
        }
        // What fits, up to its last line end (a line longer than the cap is cut).
        let cut = room > 0 ? rest.subarray(0, room).lastIndexOf(10) + 1 : 0;
        if (cut === 0 && size() === 0) cut = Math.max(room, 1);
        if (cut > 0) append(rest.subarray(0, cut));
        rest = rest.subarray(cut);
        rotate();
      }
    },
    [Symbol.dispose]() {
      file?.close();
      file = undefined;
    },
  };
}

/** A log opened for reading: the current file (if any) and where its tail ended. */
export interface OpenedLog {
  path: string;
  owner: number;
  file: UntrustedFile | undefined;
  /** The last lines asked for (all when undefined), the rotated part first. */
  tail: Uint8Array;
}

/**
 * Opens the log at `path` (owned by `owner`) under the files rule and reads its last
 * `lines` lines, from the rotated part too when the current file holds fewer; at most
 * {@linkcode LOG_READ_MAX_BYTES} are read.
 *
 * @throws {Deno.errors.NotFound} when neither file exists; `UntrustedPathError` for one
 *   that fails the rule.
 */
export async function openLog(path: string, owner: number, lines?: number): Promise<OpenedLog> {
  const file = await openIfThere(path, owner);
  let rotated: Awaited<ReturnType<typeof openIfThere>>;
  try {
    rotated = await openIfThere(rotatedLogPath(path), owner);
    if (file === undefined && rotated === undefined) {
      throw new Deno.errors.NotFound(`No log at ${path}`);
    }
    const current = file === undefined ? new Uint8Array() : readRange(file, 0, file.size);
    let text = current;
    if (rotated !== undefined && (lines === undefined || countLines(current) < lines)) {
      const before = readRange(rotated, 0, rotated.size);
      text = new Uint8Array(before.length + current.length);
      text.set(before);
      text.set(current, before.length);
    }
    return { path, owner, file, tail: lastLines(text, lines) };
  } catch (error) {
    file?.close();
    throw error;
  } finally {
    rotated?.close();
  }
}

/**
 * Writes what is appended to an opened log after its tail to `write` until `signal` aborts
 * or `serving()` says the gateway has stopped (what it wrote last is read first), across
 * rotations: the file being read is read to its end, then a newer rotated one, then the new
 * file from its start.
 */
export async function followLog(
  log: OpenedLog,
  write: (chunk: Uint8Array) => Promise<void> | void,
  signal: AbortSignal,
  serving: () => Promise<boolean>,
  intervalMs = 100,
): Promise<void> {
  let file = log.file;
  let position = file?.size ?? 0;
  const drain = async () => {
    if (file === undefined) return false;
    const end = file.currentSize();
    if (end <= position) return false;
    for (let from = position; from < end; from += CHUNK) {
      await write(readRange(file, from, Math.min(end, from + CHUNK)));
    }
    position = end;
    return true;
  };
  try {
    for (;;) {
      let moved = await drain();
      const current = (await Deno.lstat(log.path).catch(() => undefined))?.ino;
      if (current !== file?.ino && current !== undefined) {
        // Rotated (or begun): the old file to its end, a rotation in between, then the new.
        await drain();
        const rotated = await openIfThere(rotatedLogPath(log.path), log.owner);
        if (rotated !== undefined && file !== undefined && rotated.ino !== file.ino) {
          await write(readRange(rotated, 0, rotated.size));
        }
        rotated?.close();
        file?.close();
        file = await openIfThere(log.path, log.owner);
        position = 0;
        moved = (await drain()) || moved;
      }
      if (signal.aborted) return;
      if (!moved && !(await serving())) {
        await drain();
        return;
      }
      if (!moved) await sleep(intervalMs, signal);
    }
  } finally {
    file?.close();
  }
}

/**
 * What the log at `path` (owned by `owner`) holds from `offset` on, under the files rule (at
 * most its last {@linkcode LOG_READ_MAX_BYTES}); empty when there is none.
 */
export async function readLogFrom(path: string, owner: number, offset: number): Promise<string> {
  const file = await openIfThere(path, owner).catch(() => undefined);
  if (file === undefined) return "";
  try {
    return new TextDecoder().decode(readRange(file, Math.min(offset, file.size), file.size));
  } finally {
    file.close();
  }
}

const CHUNK = 64 * 1024;

async function openIfThere(path: string, owner: number): Promise<UntrustedFile | undefined> {
  try {
    return await openUntrusted(path, { owner, maxBytes: Number.MAX_SAFE_INTEGER });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Bytes `from` to `to` of `file`, at most the last {@linkcode LOG_READ_MAX_BYTES}. */
function readRange(file: UntrustedFile, from: number, to: number): Uint8Array {
  const start = Math.max(from, to - LOG_READ_MAX_BYTES);
  const buffer = new Uint8Array(Math.max(0, to - start));
  let length = 0;
  while (length < buffer.length) {
    const n = file.read(buffer.subarray(length), start + length);
    if (n === 0) break;
    length += n;
  }
  return buffer.subarray(0, length);
}

function lastLines(bytes: Uint8Array, lines: number | undefined): Uint8Array {
  if (lines === undefined) return bytes;
  if (lines === 0) return new Uint8Array();
  let end = bytes.length;
  if (bytes[end - 1] === 10) end--;
  let at = end;
  for (let n = 0; n < lines; n++) {
    at = bytes.subarray(0, at).lastIndexOf(10);
    if (at < 0) return bytes;
  }
  return bytes.subarray(at + 1);
}

function countLines(bytes: Uint8Array): number {
  const newlines = bytes.filter((b) => b === 10).length;
  return newlines + (bytes.length > 0 && bytes[bytes.length - 1] !== 10 ? 1 : 0);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
