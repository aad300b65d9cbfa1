/**
 * A keep-alive HTTP/1.1 load generator, for what `wrk` cannot do: present a client certificate.
 * Run as a process of its own (`deno run -A bench/_keepalive_load.ts '<json>'`, the JSON a
 * {@linkcode LoadOptions}): it opens its connections (TLS with the given CA, client certificate
 * and key, or plaintext), prints `ready`, waits for a line on stdin, then sends `GET /healthz`
 * on each connection, one request in flight per connection as `wrk` does, for `seconds`, and
 * prints `{"requests":N,"errors":N}`: the answers completed in that time, and the connections
 * that failed. Several of these processes load one server as `wrk`'s threads do.
 *
 * @module
 */

/** What one load process does. */
export interface LoadOptions {
  port: number;
  connections: number;
  seconds: number;
  /** PEM paths for TLS with a client certificate; absent: plaintext. */
  tls?: { ca: string; cert: string; key: string };
}

/** One process's count. */
export interface LoadResult {
  requests: number;
  errors: number;
}

const REQUEST = new TextEncoder().encode("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
const HEAD_END = [13, 10, 13, 10];
const decoder = new TextDecoder();

/** Where the head in `bytes[0, length)` ends (after its blank line), or -1 while incomplete. */
function headEnd(bytes: Uint8Array, length: number): number {
  outer: for (let at = 0; at + 4 <= length; at++) {
    for (let i = 0; i < 4; i++) if (bytes[at + i] !== HEAD_END[i]) continue outer;
    return at + 4;
  }
  return -1;
}

/** Requests answers on `conn` until `stopAt`, one at a time; the answers whole by then. */
async function drive(conn: Deno.Conn, stopAt: number): Promise<number> {
  const buffer = new Uint8Array(64 * 1024);
  let answered = 0;
  while (performance.now() < stopAt) {
    await conn.write(REQUEST);
    let length = 0;
    let end = -1;
    let whole = Infinity;
    while (length < whole) {
      const read = await conn.read(buffer.subarray(length));
      if (read === null) throw new Error("closed by the server");
      length += read;
      if (end < 0) {
        end = headEnd(buffer, length);
        if (end < 0) continue;
        const head = decoder.decode(buffer.subarray(0, end));
        if (!head.startsWith("HTTP/1.1 200")) throw new Error(head.split("\r\n")[0]);
        whole = end + Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
        if (Number.isNaN(whole)) throw new Error("an answer without content-length");
      }
    }
    if (performance.now() <= stopAt) answered++;
  }
  return answered;
}

async function open(options: LoadOptions): Promise<Deno.Conn> {
  const address = { hostname: "127.0.0.1", port: options.port };
  const tls = options.tls;
  if (tls === undefined) return await Deno.connect(address);
  const [ca, cert, key] = await Promise.all(
    [tls.ca, tls.cert, tls.key].map((path) => Deno.readTextFile(path)),
  );
  const conn = await Deno.connectTls({ ...address, caCerts: [ca!], cert: cert!, key: key! });
  await conn.handshake();
  return conn;
}

async function load(options: LoadOptions): Promise<LoadResult> {
  const conns: Deno.Conn[] = [];
  let errors = 0;
  // Opened a few at a time, as clients arrive, not as one burst past the listen backlog.
  for (let at = 0; at < options.connections; at += 50) {
    const batch = Math.min(50, options.connections - at);
    const opened = await Promise.allSettled(Array.from({ length: batch }, () => open(options)));
    for (const result of opened) {
      if (result.status === "fulfilled") conns.push(result.value);
      else errors++;
    }
  }
  console.log("ready");
  const go = Deno.stdin.readable.getReader();
  await go.read();
  go.releaseLock();
  const stopAt = performance.now() + options.seconds * 1000;
  const counts = await Promise.allSettled(conns.map((conn) => drive(conn, stopAt)));
  let requests = 0;
  for (const count of counts) {
    if (count.status === "fulfilled") requests += count.value;
    else errors++;
  }
  for (const conn of conns) {
    try {
      conn.close();
    } catch {
      // already closed
    }
  }
  return { requests, errors };
}

/** How many load processes share the connections, as `wrk -t2` has two threads. */
const PROCESSES = 2;

/** A load process's output: `ready` once it is connected, then its whole output. */
function watch(child: Deno.ChildProcess): { ready: Promise<void>; output: Promise<string> } {
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const output = (async () => {
    let text = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.startsWith("ready\n")) connected();
    }
    return text;
  })();
  return { ready, output };
}

/**
 * `GET /healthz` answers per second that {@linkcode PROCESSES} load processes get with
 * `connections` keep-alive connections between them (plaintext, or TLS with `tls`); NaN
 * when any connection failed, so that a refused or broken run measures nothing.
 */
export async function keepAliveRps(options: LoadOptions): Promise<number> {
  const children = Array.from({ length: PROCESSES }, (_, i) => {
    const share = Math.floor(options.connections / PROCESSES) +
      (i < options.connections % PROCESSES ? 1 : 0);
    return new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--no-config",
        import.meta.filename!,
        JSON.stringify({ ...options, connections: share }),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
  });
  const watched = children.map(watch);
  // All start together, once each has said it is connected.
  const exited = Promise.race(children.map((child) => child.status)).then(() => {
    throw new Error("a load process exited before it was connected");
  });
  try {
    await Promise.race([Promise.all(watched.map((w) => w.ready)), exited]);
  } catch (error) {
    for (const child of children) {
      try {
        child.kill("SIGKILL");
      } catch {
        // already exited
      }
    }
    await Promise.all(children.map((child) => child.status));
    throw error;
  }
  exited.catch(() => {});
  await Promise.all(children.map(async (child) => {
    const writer = child.stdin.getWriter();
    await writer.write(new Uint8Array([10]));
    await writer.close();
  }));
  let requests = 0;
  let errors = 0;
  for (const text of await Promise.all(watched.map((w) => w.output))) {
    const result = JSON.parse(text.slice("ready\n".length)) as LoadResult;
    requests += result.requests;
    errors += result.errors;
  }
  await Promise.all(children.map((child) => child.status));
  return errors === 0 ? requests / options.seconds : NaN;
}

if (import.meta.main) {
  console.log(JSON.stringify(await load(JSON.parse(Deno.args[0]!) as LoadOptions)));
}
