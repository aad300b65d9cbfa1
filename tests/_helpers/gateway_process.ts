/**
 * The gateway server as a real process on the host, started exactly as the container starts
 * it (the same `deno run` flags and arguments), with its state and token in a temp dir.
 *
 * @module
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { join, resolve } from "node:path";
import {
  gatewayArgs,
  gatewayDenoFlags,
  type GatewayTlsPaths,
} from "../../src/contract/gateway_command_line.ts";
import { generateGatewayPki, serverNames } from "../../src/pki/mod.ts";
import { GRPC_SERVICE_PATH } from "../../src/contract/mod.ts";
import { mtlsFilePaths } from "../../src/registry/mod.ts";

/** The program's `src/`, which the gateway runs from. */
export const SOURCE_DIR = resolve(import.meta.dirname!, "../../src");
const GATEWAY_MAIN = join(SOURCE_DIR, "server/main.ts");

export interface RunningGateway extends AsyncDisposable {
  child: Deno.ChildProcess;
  lines: string[];
  url: string;
  /** Resolves with the first log line matching `msg`. */
  waitFor(msg: string): Promise<Record<string, unknown>>;
  finish(): Promise<{ code: number; lines: Record<string, unknown>[] }>;
}

/** What {@linkcode gatewayCommand} may add to the gateway's plain command line. */
export interface GatewayCommandOptions {
  /** Served over mTLS with these files. */
  tls?: GatewayTlsPaths | undefined;
  /** Under this descriptor limit (`RLIMIT_NOFILE`), and told it, as the launcher does. */
  openFiles?: number | undefined;
  /** The challenge whose proof it writes on stderr once it listens. */
  readyChallenge?: string | undefined;
  /** Deno's own flags ahead of the container's (e.g. `--log-level=debug`). */
  denoFlags?: string[];
  /** Gateway arguments after its own. */
  extra?: string[];
  stdout?: "piped" | "null";
}

/**
 * The gateway run on the host exactly as the container runs it (the same `deno run` flags and
 * arguments), named `corp`, with its state and token in `dir` (see {@linkcode withDir}).
 */
export function gatewayCommand(
  dir: string,
  listen: string,
  options: GatewayCommandOptions = {},
): Deno.Command {
  const { tls, openFiles, readyChallenge } = options;
  const stateDir = join(dir, "state");
  const tokenFile = join(dir, "token");
  const limit = openFiles === undefined ? [] : ["prlimit", `--nofile=${openFiles}`, "--"];
  const [program, ...launcher] = [...limit, Deno.execPath()];
  return new Deno.Command(program!, {
    args: [
      ...launcher,
      "run",
      ...(options.denoFlags ?? []),
      ...gatewayDenoFlags(listen, { stateDir, tokenFile, tls }, SOURCE_DIR),
      GATEWAY_MAIN,
      ...gatewayArgs({
        name: "corp",
        listen,
        version: "9.9.9",
        stateDir,
        tokenFile,
        tls,
        ...(openFiles === undefined ? {} : { openFiles }),
        ...(readyChallenge === undefined ? {} : { readyChallenge }),
      }),
      ...(options.extra ?? []),
    ],
    env: { DENO_DIR: join(dir, "deno"), PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdout: options.stdout ?? "piped",
    stderr: "piped",
  });
}

/**
 * Starts the gateway on the host exactly as the container does, with host paths; with
 * `openFiles`, under that descriptor limit (`RLIMIT_NOFILE`); with `tls`, served over mTLS.
 */
export function startGateway(
  dir: string,
  port: number,
  extra: string[] = [],
  openFiles?: number,
  tls?: GatewayTlsPaths,
): RunningGateway {
  const listen = `127.0.0.1:${port}`;
  const child = gatewayCommand(dir, listen, { tls, openFiles, extra }).spawn();
  const lines: string[] = [];
  const waiters: { msg: string; resolve: (v: Record<string, unknown>) => void }[] = [];
  const reading = (async () => {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        lines.push(line);
        const parsed = JSON.parse(line);
        for (const waiter of waiters.filter((w) => w.msg === parsed.msg)) waiter.resolve(parsed);
      }
    }
  })();
  const stderr = new Response(child.stderr).text();
  let finished: Promise<{ code: number; lines: Record<string, unknown>[] }> | undefined;
  const finish = () =>
    finished ??= (async () => {
      const status = await child.status;
      await reading;
      assert.equal(await stderr, "", "the gateway writes nothing to stderr");
      return { code: status.code, lines: lines.map((l) => JSON.parse(l)) };
    })();
  return {
    child,
    lines,
    url: `http://${listen}`,
    waitFor: (msg) => {
      const seen = lines.map((l) => JSON.parse(l)).find((l) => l.msg === msg);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ msg, resolve });
        finish().then(
          () => reject(new Error(`Gateway exited before "${msg}": ${lines}`)),
          reject,
        );
      });
    },
    finish,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGKILL");
      } catch { /* already exited */ }
      await finish().catch(() => {});
    },
  };
}

/** Runs `fn` with a temp dir holding `state/` and the token `tok-123`; removes it afterwards. */
export async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "openshell-gateway-" });
  try {
    await Deno.mkdir(join(dir, "state"));
    await Deno.writeTextFile(join(dir, "token"), "tok-123\n", { mode: 0o600 });
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const ATTACKS = resolve(import.meta.dirname!, "gateway_attacks.py");

/** What an attack from `gateway_attacks.py` saw (see its usage). */
export interface AttackResult {
  kind: string;
  connections: number;
  /** For floods: the GOAWAY error code the first connection got, or null. */
  goaway?: number | null;
  [key: string]: unknown;
}

/**
 * Runs one attack of `gateway_attacks.py` (python3's standard library) against `port` for
 * `seconds`, while `during` runs; resolves with what the attacker saw and what `during` gave.
 * With `tlsDir` (a client's files, as {@linkcode writeGatewayTls} writes them), over mTLS.
 */
export async function underAttack<T>(
  port: number,
  kind: string,
  seconds: number,
  connections: number | undefined,
  during: () => Promise<T>,
  tlsDir?: string,
): Promise<{ attack: AttackResult; during: T }> {
  const tls = tlsDir === undefined ? [] : ["--tls", tlsDir];
  const args = [ATTACKS, ...tls, String(port), kind, String(seconds)];
  if (connections !== undefined) args.push(String(connections));
  const child = new Deno.Command("/usr/bin/python3", { args, stdout: "piped", stderr: "piped" })
    .spawn();
  const output = child.output();
  try {
    const result = await during();
    const { code, stdout, stderr } = await output;
    const text = new TextDecoder();
    assert.equal(code, 0, text.decode(stderr));
    return { attack: JSON.parse(text.decode(stdout)), during: result };
  } catch (error) {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await output.catch(() => {});
    throw error;
  }
}

/**
 * Asks `/healthz` from a fresh connection every `everyMs` for `forMs` (with `tls`, as an mTLS
 * client); the time each answer took in milliseconds (Infinity for no 200 answer within 2 s).
 */
export async function probeHealth(
  url: string,
  forMs: number,
  everyMs = 200,
  tls: Deno.CreateHttpClientOptions = {},
): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + forMs;
  while (performance.now() < end) {
    const client = Deno.createHttpClient({ ...tls, poolMaxIdlePerHost: 0 });
    const start = performance.now();
    try {
      const response = await fetch(`${url}/healthz`, {
        client,
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      times.push(response.status === 200 ? performance.now() - start : Infinity);
    } catch {
      times.push(Infinity);
    } finally {
      client.close();
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  return times;
}

/** A process's resident memory now and at its peak, in MiB, from `/proc`. */
export async function memoryMiB(pid: number): Promise<{ now: number; peak: number }> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+)`, "m").exec(status)![1]);
  return { now: kib("VmRSS") / 1024, peak: kib("VmHWM") / 1024 };
}

/** How many descriptors a process has open. */
export async function openDescriptors(pid: number): Promise<number> {
  return (await Array.fromAsync(Deno.readDir(`/proc/${pid}/fd`))).length;
}

/**
 * Writes a gateway's TLS files under `dir`, and a client's in `clientDir` as a registration keeps
 * them (what `gateway_attacks.py --tls` reads); they, and what a client presents to it.
 */
export async function writeGatewayTls(dir: string) {
  const pki = await generateGatewayPki(serverNames("127.0.0.1"));
  const tls = {
    cert: join(dir, "tls.crt"),
    key: join(dir, "tls.key"),
    clientCa: join(dir, "ca.crt"),
  };
  await Deno.writeTextFile(tls.cert, pki.serverCert);
  await Deno.writeTextFile(tls.key, pki.serverKey);
  await Deno.writeTextFile(tls.clientCa, pki.ca);
  const clientDir = join(dir, "client");
  const clientFiles = mtlsFilePaths(clientDir);
  await Deno.mkdir(clientDir);
  await Deno.writeTextFile(clientFiles.ca, pki.ca);
  await Deno.writeTextFile(clientFiles.cert, pki.clientCert);
  await Deno.writeTextFile(clientFiles.key, pki.clientKey, { mode: 0o600 });
  return {
    tls,
    client: { caCerts: [pki.ca], cert: pki.clientCert, key: pki.clientKey },
    clientDir,
  };
}

/** One gRPC `Health` call over h2c; its `grpc-status`. */
export function grpcHealth(url: string): Promise<string> {
  const session = http2.connect(url);
  return new Promise<string>((resolve, reject) => {
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": `${GRPC_SERVICE_PATH}Health`,
      "content-type": "application/grpc",
      te: "trailers",
    });
    stream.on("trailers", (trailers) => resolve(String(trailers["grpc-status"])));
    stream.on("error", reject);
    stream.resume();
    stream.end(new Uint8Array(5));
  }).finally(() => session.close());
}
