/**
 * The byte stream the gateway reads a TLS session through: the session is never paused (Deno
 * 2.9's `node:tls` reads a paused session on, out of sight); past one request head's worth
 * unread the socket's own reads stop until the reader takes it, in order; and more than the
 * unsent-bytes bound waiting unread closes it. Over a real Node stream; the gateway tests drive
 * the real socket's reads.
 */
import assert from "node:assert/strict";
import { Duplex } from "node:stream";
import { MAX_HEAD_BYTES, MAX_UNSENT_BYTES } from "../src/server/_limits.ts";
import { socketStream } from "../src/server/_node_stream.ts";

const turn = () => new Promise((resolve) => setTimeout(resolve, 0));

/** A session: `push` is what its client sends, what is written to it goes nowhere. */
function pushedSession(): Duplex {
  return new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
}

Deno.test("a TLS session's bytes flow to the reader, the socket's reads stopped only past one request head's worth unread", async () => {
  const session = pushedSession();
  const calls: string[] = [];
  const stream = socketStream(session, {
    stop: () => calls.push("stop"),
    start: () => calls.push("start"),
  }, () => calls.push("overflowed"));
  const sent = new Uint8Array(4 * MAX_HEAD_BYTES).map((_, i) => i % 251);
  const into = new Uint8Array(sent.length);
  // Small pieces, as keep-alive requests come: read one by one, the reads never stop.
  for (let i = 0; i < 8; i++) {
    session.push(sent.subarray(i * 100, (i + 1) * 100));
    assert.equal(await stream.read(into.subarray(i * 100)), 100);
  }
  assert.deepEqual(calls, []);
  // A client sending more than the reader takes: stopped once a head's worth waits unread.
  for (let at = 800; at < sent.length; at += 4096) session.push(sent.subarray(at, at + 4096));
  await turn();
  assert.deepEqual(calls, ["stop"]);
  assert.equal(session.isPaused(), false, "the session itself is never paused");
  let filled = 800;
  while (filled < sent.length) {
    const count = await stream.read(into.subarray(filled));
    assert.ok(count !== null && count > 0);
    filled += count;
  }
  assert.deepEqual(into, sent);
  assert.deepEqual(calls, ["stop", "start"]);
  session.push(null);
  assert.equal(await stream.read(into), null);
});

Deno.test("more than the unsent-bytes bound waiting unread closes a TLS session's stream, reported unless its own side had ended", async () => {
  for (const ownSideEnded of [false, true]) {
    const session = pushedSession();
    let overflowed = 0;
    const stream = socketStream(session, undefined, () => overflowed++);
    if (ownSideEnded) session.end();
    const piece = new Uint8Array(16 * 1024);
    for (let sent = 0; sent < MAX_UNSENT_BYTES; sent += piece.length) session.push(piece);
    await turn();
    assert.equal(session.destroyed, false, "at the bound, it stays open");
    session.push(new Uint8Array(1));
    await turn();
    assert.equal(session.destroyed, true, "past it, closed");
    assert.equal(overflowed, ownSideEnded ? 0 : 1);
    assert.equal(await stream.read(new Uint8Array(16)), null, "nothing kept is read");
  }
});
