/**
 * The byte stream the gateway reads a TLS session through: what it reads ahead of its reader
 * is bounded, and it reads on once the reader has taken it, in order.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { MAX_HEAD_BYTES } from "../src/server/_limits.ts";
import { socketStream } from "../src/server/_node_stream.ts";

Deno.test("a TLS session's bytes flow to the reader, paused only past one request head's worth unread", async () => {
  const session = new PassThrough();
  const stream = socketStream(session);
  const sent = new Uint8Array(4 * MAX_HEAD_BYTES).map((_, i) => i % 251);
  const into = new Uint8Array(sent.length);
  // Small pieces, as keep-alive requests come: read one by one, the stream never pauses.
  for (let i = 0; i < 8; i++) {
    session.write(sent.subarray(i * 100, (i + 1) * 100));
    assert.equal(await stream.read(into.subarray(i * 100)), 100);
    assert.equal(session.isPaused(), false);
  }
  // A client sending more than the reader takes: paused once a head's worth waits unread.
  for (let at = 800; at < sent.length; at += 4096) session.write(sent.subarray(at, at + 4096));
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(session.isPaused(), true);
  let filled = 800;
  while (filled < sent.length) {
    const count = await stream.read(into.subarray(filled));
    assert.ok(count !== null && count > 0);
    filled += count;
  }
  assert.deepEqual(into, sent);
  assert.equal(session.isPaused(), false);
  session.end();
  assert.equal(await stream.read(into), null);
});
