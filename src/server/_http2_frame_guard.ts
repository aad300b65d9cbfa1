/**
 * The HTTP/2 flood bounds, as a pure reader of the frames a client sends (after the
 * connection preface): it reads only the 9-byte frame headers, as the bytes arrive, and says
 * when a session has gone past a bound. Frames that carry no request progress (PING, SETTINGS,
 * RST_STREAM, WINDOW_UPDATE, PRIORITY, CONTINUATION, empty DATA, unknown types) share one token
 * bucket; a header block (HEADERS and its CONTINUATIONs) may not exceed the head limit, nor
 * be split into more than a few frames.
 * The session is then ended with GOAWAY (ENHANCE_YOUR_CALM) by the caller.
 *
 * A client's own GOAWAY is reported too, so that it never reaches `node:http2`: Deno 2.9's
 * nghttp2 can abort the whole process on a GOAWAY received while streams are closing
 * (denoland/deno#36788). A client that says goodbye sends nothing more that matters.
 *
 * @module
 */
import {
  type Bucket,
  CONTROL_FRAME_BURST,
  CONTROL_FRAMES_PER_SECOND,
  MAX_CONTINUATION_FRAMES,
  MAX_HEAD_BYTES,
  takeToken,
} from "./_limits.ts";

const FRAME_HEADER_BYTES = 9;
const DATA = 0x0;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const PING = 0x6;
const GOAWAY = 0x7;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const ACK = 0x1;
const END_HEADERS = 0x4;

/** The names of the frame types, for the log. */
const NAMES = [
  "DATA",
  "HEADERS",
  "PRIORITY",
  "RST_STREAM",
  "SETTINGS",
  "PUSH_PROMISE",
  "PING",
  "GOAWAY",
  "WINDOW_UPDATE",
  "CONTINUATION",
];

/**
 * What the guard says of a chunk: the session went past a bound (`flood`, why), or the client
 * sent GOAWAY, which starts `goodbyeAt` bytes into the chunk.
 */
export type GuardVerdict = { flood: string } | { goodbyeAt: number };

/** Reads a client's frames chunk by chunk. */
export interface FrameGuard {
  /** Reads the next bytes; undefined while all is well. */
  read(chunk: Uint8Array, now: number): GuardVerdict | undefined;
  /** The highest stream id a HEADERS frame has opened (for GOAWAY). */
  readonly lastStreamId: number;
}

/**
 * A guard for one session, its bucket full.
 *
 * @example
 * ```ts
 * import { createFrameGuard } from "./_http2_frame_guard.ts";
 * const guard = createFrameGuard(0);
 * const ping = new Uint8Array([0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
 * guard.read(ping, 0); // undefined: within the burst
 * guard.read(new Uint8Array([0, 0, 8, 7, 0, 0, 0, 0, 0]), 0); // { goodbyeAt: 0 }
 * ```
 */
export function createFrameGuard(now: number): FrameGuard {
  const bucket: Bucket = { tokens: CONTROL_FRAME_BURST, at: now };
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  let headerFilled = 0;
  let payloadLeft = 0;
  let blockBytes = -1; // the header block under way, or -1
  let continuations = 0;
  let lastStreamId = 0;
  const frame = (length: number, type: number, flags: number, stream: number, at: number) => {
    if (type === HEADERS) {
      if (stream > lastStreamId) lastStreamId = stream;
      blockBytes = flags & END_HEADERS ? -1 : length;
      continuations = 0;
      if (length > MAX_HEAD_BYTES) return `header block larger than ${MAX_HEAD_BYTES} bytes`;
      return undefined;
    }
    if (type === CONTINUATION && blockBytes >= 0) {
      blockBytes += length;
      if (blockBytes > MAX_HEAD_BYTES) return `header block larger than ${MAX_HEAD_BYTES} bytes`;
      if (++continuations > MAX_CONTINUATION_FRAMES) {
        return `more than ${MAX_CONTINUATION_FRAMES} CONTINUATION frames in a header block`;
      }
      if (flags & END_HEADERS) blockBytes = -1;
    }
    const progress = (type === DATA && (length > 0 || flags & END_STREAM)) ||
      ((type === SETTINGS || type === PING) && flags & ACK);
    if (progress || takeToken(bucket, at, CONTROL_FRAME_BURST, CONTROL_FRAMES_PER_SECOND)) {
      return undefined;
    }
    const name = NAMES[type] ?? `type ${type}`;
    return `more than ${CONTROL_FRAME_BURST} control frames at over ${CONTROL_FRAMES_PER_SECOND}/s (${name})`;
  };
  return {
    get lastStreamId() {
      return lastStreamId;
    },
    read(chunk, at) {
      let offset = 0;
      while (offset < chunk.length) {
        const start = offset - headerFilled; // where the frame read next began
        if (payloadLeft > 0) {
          const skipped = Math.min(payloadLeft, chunk.length - offset);
          payloadLeft -= skipped;
          offset += skipped;
          continue;
        }
        const take = Math.min(FRAME_HEADER_BYTES - headerFilled, chunk.length - offset);
        header.set(chunk.subarray(offset, offset + take), headerFilled);
        headerFilled += take;
        offset += take;
        if (headerFilled < FRAME_HEADER_BYTES) break;
        headerFilled = 0;
        const length = (header[0]! << 16) | (header[1]! << 8) | header[2]!;
        const stream = ((header[5]! & 0x7f) << 24 | header[6]! << 16 | header[7]! << 8 |
          header[8]!) >>> 0;
        payloadLeft = length;
        if (header[3] === GOAWAY) return { goodbyeAt: Math.max(0, start) };
        const flood = frame(length, header[3]!, header[4]!, stream, at);
        if (flood !== undefined) return { flood };
      }
      return undefined;
    },
  };
}

/**
 * A GOAWAY frame: the last stream the server processed, and the error code (11 is
 * ENHANCE_YOUR_CALM).
 *
 * @example
 * ```ts
 * import { goawayFrame } from "./_http2_frame_guard.ts";
 * goawayFrame(3, 11).length; // 17
 * ```
 */
export function goawayFrame(lastStreamId: number, errorCode: number): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + 8);
  const view = new DataView(frame.buffer);
  frame[2] = 8; // length
  frame[3] = 0x7; // GOAWAY, no flags, stream 0
  view.setUint32(9, lastStreamId & 0x7fffffff);
  view.setUint32(13, errorCode);
  return frame;
}
