/**
 * The gateway server under load and under attack, run on the host exactly as the container runs
 * it (the same `deno run` flags and arguments, under the descriptor limit the container gets):
 *
 * - `wrk` throughput of `GET /healthz` at 50 and at 1000 connections against a bare
 *   `Deno.serve` answering the same JSON, both running at once and measured in paired turns,
 *   three runs of four pairs (goal: the median ratio >= 0.9x), with the CPU time each server
 *   spent per request; beside them, the floor of a server reading its own `Deno.Conn`s, a bare
 *   read-write loop, measured the same way;
 * - the same over TLS: the gateway with its mTLS material (a PKI as `serve` makes it) against
 *   a bare `Deno.serve` with the same server certificate, loaded by `_keepalive_load.ts`
 *   presenting the client certificate (`wrk` cannot); beside them, that load generator's
 *   ceiling: its throughput and `wrk`'s against the bare server in plaintext;
 * - the gateway's peak resident memory through the HTTP/2 flood battery
 *   (`tests/_helpers/gateway_attacks.py`), in plaintext and over mTLS, against the bound the
 *   README states.
 *
 * Needs `wrk` and `python3` (`scripts/setup.sh --test` installs them) and `prlimit`
 * (util-linux); otherwise it says which is missing and measures nothing.
 *
 * @module
 */
import { join, resolve } from "node:path";
import {
  gatewayArgs,
  gatewayDenoFlags,
  type GatewayTlsPaths,
  tlsSecretPaths,
} from "../src/contract/gateway_command_line.ts";
import { generateGatewayPki, serverNames } from "../src/pki/mod.ts";
import { mtlsFilePaths } from "../src/registry/mod.ts";
import { FLOOD_MEMORY_BOUND_MIB } from "../src/server/_limits.ts";
import { keepAliveRps } from "./_keepalive_load.ts";
import { formatGoal, formatRatio, type Goal, type GoalFigure, median } from "./_report.ts";
import { freePort, onPath, untilHealthy, wrkLoad, type WrkResult, wrkRps } from "./_serve_start.ts";

const REPO = resolve(import.meta.dirname!, "..");
const GATEWAY_MAIN = join(REPO, "src/server/main.ts");
const ATTACKS = join(REPO, "tests/_helpers/gateway_attacks.py");
/** The descriptor limit the container asks for; it gets at most the caller's hard limit. */
const WANTED_OPEN_FILES = 65536;
const RUNS = 3;
/** Paired turns per run, and how long each `wrk` turn lasts. */
const TURNS = 4;
const TURN_SECONDS = 1;
const CONNECTIONS = [50, 1000] as const;
/** The throughput goal: at least this share of a bare `Deno.serve`. */
const RATIO_GOAL: Goal = { limit: 0.9, unit: "x", atLeast: true };
/** The memory bound the README states for the gateway through the flood battery. */
const MEMORY_GOAL: Goal = { limit: FLOOD_MEMORY_BOUND_MIB, unit: " MB" };
const FLOODS = ["ping", "settings", "rst", "continuation", "window-update", "empty-data"];

/** The same answer the gateway gives to `GET /healthz`. */
const BARE = `Deno.serve({ port: Number(Deno.args[0]), hostname: "127.0.0.1", onListen() {} }, () =>
  new Response('{"ok":true}\\n', { headers: { "content-type": "application/json" } }))`;
/** The whole answer the floors below give to every request: the gateway's to `GET /healthz`. */
const HEALTHY_ANSWER =
  'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 12\r\n\r\n{"ok":true}\n';
/**
 * The floor of a server in plaintext that reads and writes its own `Deno.Conn`s, as the
 * gateway does: a bare read-write loop answering each read with the same bytes (one request
 * in flight per connection), parsing nothing.
 */
const BARE_LOOP = `const answer = new TextEncoder().encode(${JSON.stringify(HEALTHY_ANSWER)});
const listener = Deno.listen({ port: Number(Deno.args[0]), hostname: "127.0.0.1" });
for await (const conn of listener) {
  conn.setNoDelay(true);
  (async () => {
    const buffer = new Uint8Array(4096);
    while ((await conn.read(buffer)) !== null) await conn.write(answer);
  })().catch(() => {}).finally(() => { try { conn.close(); } catch { /* closed */ } });
}`;
/**
 * The floor of a server over mTLS in Deno: a bare `node:tls` server on its own `node:net`
 * sockets asking for client certificates (the only TLS server in Deno that checks them),
 * answering each chunk it reads with the same JSON (one request in flight per connection).
 */
const NODE_TLS = `import tls from "node:tls";
const [port, ...paths] = Deno.args;
const [cert, key, ca] = paths.map((path) => Deno.readTextFileSync(path));
const answer = ${JSON.stringify(HEALTHY_ANSWER)};
tls.createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true }, (socket) => {
  socket.on("error", () => {});
  socket.on("data", () => socket.write(answer));
}).listen(Number(port), "127.0.0.1");`;
/** The same over TLS with the certificate and key at the paths it is given. */
const BARE_TLS = `const [port, cert, key] = Deno.args;
Deno.serve({ port: Number(port), hostname: "127.0.0.1", onListen() {},
  cert: Deno.readTextFileSync(cert), key: Deno.readTextFileSync(key) }, () =>
  new Response('{"ok":true}\\n', { headers: { "content-type": "application/json" } }))`;

function limited(openFiles: number, args: string[]): Deno.ChildProcess {
  return new Deno.Command("prlimit", {
    args: [`--nofile=${openFiles}`, "--", Deno.execPath(), ...args],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function startGateway(
  dir: string,
  port: number,
  openFiles: number,
  tls?: GatewayTlsPaths,
): Deno.ChildProcess {
  const paths = { stateDir: join(dir, "state"), tokenFile: join(dir, "token"), tls };
  const listen = `127.0.0.1:${port}`;
  return limited(openFiles, [
    "run",
    ...gatewayDenoFlags(listen, paths, join(REPO, "src")),
    GATEWAY_MAIN,
    // Told its descriptor limit, as the container's launcher tells it, so its cap follows it.
    ...gatewayArgs({ name: "bench", listen, version: "0.0.0", openFiles, ...paths }),
  ]);
}

/** What some load generator gets from `port` with `connections`. */
type Load = (port: number, connections: number) => Promise<WrkResult>;

/** A server under load: where it listens, and its process (whose CPU time is read). */
interface LoadedServer {
  port: number;
  pid: number;
}

/** Linux counts a process's CPU time in these ticks a second (`USER_HZ`). */
const CLOCK_TICKS = 100;

/** The CPU time (user and system) process `pid` has used so far, in microseconds. */
async function cpuMicros(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // The fields after the command name, which may hold spaces: state, ppid, ... utime, stime.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/**
 * The gateway's throughput against the bare server's at each of {@linkcode CONNECTIONS},
 * printed as `what`, with `note` after the runs; the figures, labelled with `label`. Beside
 * each run's ratio, the CPU time each server spent per request answered: far less swayed by
 * the machine's other load than the requests per second are.
 */
async function compare(
  servers: { gateway: LoadedServer; bare: LoadedServer },
  load: Load,
  text: { what: string; who: string; label: string; note?: (connections: number) => string },
): Promise<GoalFigure[]> {
  const figures: GoalFigure[] = [];
  const { gateway, bare } = servers;
  for (const connections of CONNECTIONS) {
    const ratios: number[] = [];
    const cpus: [number, number][] = [];
    const rows: string[] = [];
    for (let run = 0; run < RUNS; run++) {
      // A run is turns in pairs, who goes first alternating, so that load from elsewhere
      // on the machine hits both alike; its ratio is the median of its pairs'.
      const pairs: number[] = [];
      const totals = new Map([gateway, bare].map((s) => [s, { rps: 0, requests: 0, cpu: 0 }]));
      for (let turn = 0; turn < TURNS; turn++) {
        const order = turn % 2 === 0 ? [gateway, bare] : [bare, gateway];
        const rps = new Map<LoadedServer, number>();
        for (const server of order) {
          const before = await cpuMicros(server.pid);
          const result = await load(server.port, connections);
          const total = totals.get(server)!;
          total.cpu += (await cpuMicros(server.pid)) - before;
          total.requests += result.requests;
          total.rps += result.rps / TURNS;
          rps.set(server, result.rps);
        }
        pairs.push(rps.get(gateway)! / rps.get(bare)!);
      }
      const ratio = median(pairs);
      ratios.push(ratio);
      const ours = totals.get(gateway)!;
      const theirs = totals.get(bare)!;
      const cpu: [number, number] = [ours.cpu / ours.requests, theirs.cpu / theirs.requests];
      cpus.push(cpu);
      rows.push(
        `${ours.rps.toFixed(0)} vs ${theirs.rps.toFixed(0)} req/s ${formatRatio(ratio)}, ` +
          `${formatCpu(cpu)}`,
      );
    }
    const ratio = median(ratios);
    const cpu: [number, number] = [median(cpus.map((c) => c[0])), median(cpus.map((c) => c[1]))];
    console.log(
      `${text.what}, ${connections} connections, ${text.who} against a bare Deno.serve: ${
        formatRatio(ratio)
      } (median of ${RUNS} runs: ${rows.join("; ")}${
        text.note ? `; ${text.note(connections)}` : ""
      })  ${formatGoal(ratio, RATIO_GOAL)}`,
    );
    figures.push({
      label: `${text.label} at ${connections} connections vs bare Deno.serve`,
      value: ratio,
      goal: RATIO_GOAL,
      note: `median of ${RUNS} runs: ${ratios.map(formatRatio).join(" ")}; ${formatCpu(cpu)}`,
    });
  }
  return figures;
}

/** CPU time per request, the measured server's against the bare one's. */
function formatCpu([ours, theirs]: [number, number]): string {
  return `CPU ${ours.toFixed(1)} vs ${theirs.toFixed(1)} µs/request`;
}

/**
 * A PKI as `serve` makes it, written under `dir`: the gateway's files, and the client's in
 * `client/` as a registration keeps them (where `untilHealthy` reads them).
 */
async function writePki(dir: string): Promise<{ server: GatewayTlsPaths; client: string }> {
  const pki = await generateGatewayPki(serverNames("127.0.0.1"));
  const client = join(dir, "client");
  await Deno.mkdir(client);
  const server = tlsSecretPaths(dir);
  const clientFiles = mtlsFilePaths(client);
  const files: [string, string][] = [
    [server.cert, pki.serverCert],
    [server.key, pki.serverKey],
    [server.clientCa, pki.ca],
    [clientFiles.ca, pki.ca],
    [clientFiles.cert, pki.clientCert],
    [clientFiles.key, pki.clientKey],
  ];
  for (const [path, pem] of files) await Deno.writeTextFile(path, pem);
  return { server, client };
}

async function peakRssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmHWM:\s+(\d+)/m.exec(status)![1]);
}

async function stop(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // already exited
  }
  await child.status;
}

/**
 * The peak resident memory of a fresh gateway (so that its peak is theirs) through the HTTP/2
 * flood battery, over mTLS with `pki`; NaN unless every flood ran and was ended by GOAWAY.
 */
async function floodPeak(
  dir: string,
  openFiles: number,
  pki?: { server: GatewayTlsPaths; client: string },
): Promise<GoalFigure> {
  const port = freePort();
  const flooded = startGateway(dir, port, openFiles, pki?.server);
  const over = pki ? " over mTLS" : "";
  try {
    await untilHealthy(port, flooded, pki?.client);
    const before = await peakRssKiB(flooded.pid);
    const seen: string[] = [];
    let attacked = true;
    for (const kind of FLOODS) {
      const tls = pki ? ["--tls", pki.client] : [];
      const output = await new Deno.Command("python3", {
        args: [ATTACKS, ...tls, String(port), kind, "3"],
        stdout: "piped",
        stderr: "null",
      }).output();
      const result = JSON.parse(new TextDecoder().decode(output.stdout) || "{}");
      seen.push(`${kind} ${result.goaway === 11 ? "GOAWAY" : `goaway=${result.goaway}`}`);
      attacked &&= output.success && result.goaway === 11;
    }
    const peak = attacked ? (await peakRssKiB(flooded.pid)) / 1024 : NaN;
    console.log(
      `gateway peak memory through the HTTP/2 flood battery${over}: ${peak.toFixed(1)} MB (${
        (before / 1024).toFixed(1)
      } MB before; ${seen.join(", ")})  ${formatGoal(peak, MEMORY_GOAL)}`,
    );
    return {
      label: `peak memory through the HTTP/2 flood battery${over}`,
      value: peak,
      goal: MEMORY_GOAL,
      note: "VmHWM",
    };
  } finally {
    await stop(flooded);
  }
}

/** Runs the gateway benchmarks, prints their figures and returns those with a goal. */
export async function benchGateway(): Promise<GoalFigure[]> {
  for (const tool of ["wrk", "python3", "prlimit"]) {
    if (!(await onPath(tool))) {
      console.log(`skipped: needs ${tool}`);
      return [];
    }
  }
  const figures: GoalFigure[] = [];
  const ceilings = new Map<number, number>();
  const limits = await Deno.readTextFile("/proc/self/limits");
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1] ?? "unlimited";
  const openFiles = Math.min(WANTED_OPEN_FILES, hard === "unlimited" ? Infinity : Number(hard));
  const dir = await Deno.makeTempDir({ prefix: "openshell-bench-gateway-" });
  try {
    await Deno.mkdir(join(dir, "state"));
    await Deno.writeTextFile(join(dir, "token"), "bench-token\n");
    const gatewayPort = freePort();
    const barePort = freePort();
    const loopPort = freePort();
    const gateway = startGateway(dir, gatewayPort, openFiles);
    const bare = limited(openFiles, ["eval", BARE, String(barePort)]);
    const loop = limited(openFiles, ["eval", BARE_LOOP, String(loopPort)]);
    try {
      await untilHealthy(gatewayPort, gateway);
      await untilHealthy(barePort, bare);
      await untilHealthy(loopPort, loop);
      const wrk: Load = (port, connections) => wrkLoad(port, connections, TURN_SECONDS);
      const bareServer = { port: barePort, pid: bare.pid };
      const gatewayServer = { port: gatewayPort, pid: gateway.pid };
      figures.push(
        ...await compare({ gateway: gatewayServer, bare: bareServer }, wrk, {
          what: "wrk /healthz",
          who: "gateway",
          label: "/healthz",
        }),
      );
      // Printed for what it shows, not counted as a figure of the gateway's.
      await compare({ gateway: { port: loopPort, pid: loop.pid }, bare: bareServer }, wrk, {
        what: "wrk /healthz",
        who: "the floor, a bare read-write loop over Deno.Conn",
        label: "",
      });
      // What the keep-alive load generator gets where wrk is the measure tells how near the
      // server's limit, rather than its own, its TLS figures below are.
      for (const connections of CONNECTIONS) {
        const shares: number[] = [];
        for (let run = 0; run < RUNS; run++) {
          const own = await keepAliveRps({ port: barePort, connections, seconds: TURN_SECONDS });
          shares.push(own / await wrkRps(barePort, connections, TURN_SECONDS));
        }
        ceilings.set(connections, median(shares));
      }
    } finally {
      await stop(gateway);
      await stop(bare);
      await stop(loop);
    }

    const pki = await writePki(dir);
    const tlsGatewayPort = freePort();
    const tlsBarePort = freePort();
    const tlsGateway = startGateway(dir, tlsGatewayPort, openFiles, pki.server);
    const tlsBare = limited(openFiles, [
      "eval",
      BARE_TLS,
      String(tlsBarePort),
      pki.server.cert,
      pki.server.key,
    ]);
    const floorPort = freePort();
    const floor = limited(openFiles, [
      "eval",
      NODE_TLS,
      String(floorPort),
      pki.server.cert,
      pki.server.key,
      pki.server.clientCa,
    ]);
    try {
      await untilHealthy(tlsGatewayPort, tlsGateway, pki.client);
      await untilHealthy(tlsBarePort, tlsBare, pki.client);
      await untilHealthy(floorPort, floor, pki.client);
      const client = mtlsFilePaths(pki.client);
      const load: Load = (port, connections) =>
        keepAliveRps({ port, connections, seconds: TURN_SECONDS, tls: client }).then((rps) => ({
          rps,
          // The generator counts its requests over exactly that long.
          requests: rps * TURN_SECONDS,
        }));
      const what = "keep-alive load over TLS with a client certificate, /healthz";
      const tlsGatewayServer = { port: tlsGatewayPort, pid: tlsGateway.pid };
      const tlsBareServer = { port: tlsBarePort, pid: tlsBare.pid };
      figures.push(
        ...await compare({ gateway: tlsGatewayServer, bare: tlsBareServer }, load, {
          what,
          who: "gateway",
          label: "/healthz over mTLS",
          note: (connections) =>
            `the bare server asks for no client certificate, as Deno.serve cannot; ` +
            `the load generator reaches ${
              formatRatio(ceilings.get(connections)!)
            } of wrk's rate on it in plaintext`,
        }),
      );
      // Printed for what it shows, not counted as a figure of the gateway's.
      await compare({ gateway: { port: floorPort, pid: floor.pid }, bare: tlsBareServer }, load, {
        what,
        who: "the floor, a bare node:tls server asking for client certificates",
        label: "",
      });
    } finally {
      await stop(tlsGateway);
      await stop(tlsBare);
      await stop(floor);
    }

    figures.push(await floodPeak(dir, openFiles));
    figures.push(await floodPeak(dir, openFiles, pki));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return figures;
}
