/**
 * `serve` start-up: time from starting `openshell serve` to the first healthy answer (warm
 * cache), against the floor measured in the same run: the runtime's bare `run` of the bundle
 * `serve` staged, starting the same gateway (see `_serve_start.ts`). openshell's own overhead
 * is the difference (goal: within 40 ms of the floor). Also checked against goals: the
 * cold-cache start (first unpack) against a warm one next to it (<= 1.5x, median of the
 * pairs' ratios), the first gRPC `Health` call once the gateway answers `/healthz` (<= 20 ms)
 * and the gateway's resident memory once `serve` says it is ready, before any client
 * (<= 40 MB). Reported: that memory once the gateway has answered over HTTP/2, a later gRPC
 * call, `wrk` throughput of `/healthz` against a bare `Deno.serve` hello-world, and with the
 * seccomp profile against without it (goal: ratio >= 0.95), and `/healthz` throughput to one
 * Deno client over mTLS (serve's default) next to plaintext (`--auth token`).
 * Needs root and youki (the root-mode container); otherwise it says why and measures nothing.
 *
 * @module
 */
import { join } from "node:path";
import { servedPkiPaths } from "../src/register/mod.ts";
import { registryRoots } from "../src/registry/mod.ts";
import { benchRuns, sandboxEnv } from "./_process_timing.ts";
import {
  formatDeltaMs,
  formatGoal,
  formatMs,
  formatRatio,
  type Goal,
  type GoalFigure,
  median,
  pairedRatio,
} from "./_report.ts";
import {
  commandLine,
  descendants,
  freePort,
  measureServeStart,
  mtlsDir,
  onPath,
  portOf,
  readMtls,
  SERVE_START_GOAL,
  serveOverhead,
  serveSaysReady,
  serveStartBlocker,
  spawnServe,
  stop,
  untilHealthy,
  warmUp,
  wrkRps,
} from "./_serve_start.ts";

const ROUNDS = benchRuns(10);
/** Cold starts, each next to a warm one. */
const COLD_ROUNDS = 3;
const COLD_GOAL: Goal = { limit: 1.5, unit: "x" };
const FIRST_GRPC_GOAL: Goal = { limit: 20, unit: " ms" };
const RSS_GOAL: Goal = { limit: 40, unit: " MB" };

/** Milliseconds from starting `serve --name <name>` (mTLS, its default) to a healthy answer. */
async function timeStart(env: Record<string, string>, name: string): Promise<number> {
  const port = portOf(name);
  const start = performance.now();
  const child = spawnServe(env, ["--name", name], port);
  await untilHealthy(port, child, mtlsDir(env, name));
  const elapsed = performance.now() - start;
  child.kill("SIGTERM");
  const status = await child.status;
  if (status.code !== 0) throw new Error(`exit status ${status.code}`);
  return elapsed;
}

/** wrk's `/healthz` figure at 32 connections. */
const wrk = (port: number, seconds = 4) => wrkRps(port, 32, seconds);

/**
 * `GET /healthz` answers per second to this process's own client (HTTP/1.1, `connections`
 * at once, for `seconds`), over mTLS with the files in `mtls` or plaintext without: one
 * client for both, so their ratio is what TLS costs (wrk speaks no client certificates).
 */
async function healthzRps(
  port: number,
  mtls: string | undefined,
  seconds = 3,
  connections = 16,
): Promise<number> {
  const material = mtls === undefined ? {} : await readMtls(mtls).then(({ ca, cert, key }) => ({
    caCerts: [ca],
    cert,
    key,
  }));
  const url = `${mtls === undefined ? "http" : "https"}://127.0.0.1:${port}/healthz`;
  let answered = 0;
  const until = performance.now() + seconds * 1000;
  await Promise.all(Array.from({ length: connections }, async () => {
    using client = Deno.createHttpClient({ http2: false, ...material });
    while (performance.now() < until) {
      const response = await fetch(url, { client });
      await response.body?.cancel();
      if (response.ok) answered++;
    }
  }));
  return answered / seconds;
}

/** Milliseconds for one gRPC `Health` call over a new HTTP/2 connection with mTLS. */
async function grpcHealthMs(port: number, mtls: string): Promise<number> {
  const http2 = await import("node:http2");
  const { ca, cert, key } = await readMtls(mtls);
  const start = performance.now();
  const session = http2.connect(`https://127.0.0.1:${port}`, { ca, cert, key });
  try {
    await new Promise<void>((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({
        ":method": "POST",
        ":path": "/openshell.v1.OpenShell/Health",
        "content-type": "application/grpc",
        te: "trailers",
      });
      stream.on("trailers", (trailers) => {
        if (trailers["grpc-status"] === "0") resolve();
        else reject(new Error(`grpc-status ${trailers["grpc-status"]}`));
      });
      stream.on("error", reject);
      stream.resume();
      stream.end(new Uint8Array(5));
    });
  } finally {
    session.close();
  }
  return performance.now() - start;
}

/**
 * The floor under the gateway's memory: the resident memory (VmRSS, MB) of a bare Deno process
 * serving HTTP (`Deno.serve`), and of one that also runs a `node:tls` server asking for client
 * certificates with the gateway's TLS files, as a gateway over mTLS must; run as the gateway
 * runs (`deno run --no-config`, from a `DENO_DIR` that `deno cache` made ahead) and read once
 * each has listened. The median of three of each.
 */
async function memoryFloorMB(tlsFiles: { cert: string; key: string; ca: string }) {
  const scripts = {
    serve: `Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() { console.log("ready"); } },
      () => new Response("ok"));`,
    tls: `import tls from "node:tls";
      const [cert, key, ca] = Deno.args.map((path) => Deno.readTextFileSync(path));
      Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () => new Response("ok"));
      tls.createServer({ cert, key, ca, requestCert: true, rejectUnauthorized: true })
        .listen(0, "127.0.0.1", () => console.log("ready"));`,
  };
  const dir = await Deno.makeTempDir({ prefix: "openshell-bench-floor-" });
  try {
    const rss = async (script: string) => {
      const path = join(dir, `${script}.js`);
      await Deno.writeTextFile(path, scripts[script as keyof typeof scripts]);
      const denoDir = await Deno.makeTempDir({ dir });
      const made = await new Deno.Command(Deno.execPath(), {
        args: ["cache", "--no-config", "--quiet", path],
        env: { DENO_DIR: denoDir },
      }).output();
      if (!made.success) {
        throw new Error(`deno cache ${path}: ${new TextDecoder().decode(made.stderr)}`);
      }
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", "--no-config", path, tlsFiles.cert, tlsFiles.key, tlsFiles.ca],
        env: { DENO_DIR: denoDir },
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      await reader.read(); // "ready"
      await new Promise((resolve) => setTimeout(resolve, 300));
      const status = await Deno.readTextFile(`/proc/${child.pid}/status`);
      child.kill("SIGTERM");
      await reader.cancel();
      await child.status;
      return Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]) / 1024;
    };
    const runs = async (script: string) => {
      const values: number[] = [];
      for (let run = 0; run < 3; run++) values.push(await rss(script));
      return median(values);
    };
    return { serve: await runs("serve"), tls: await runs("tls") };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Resident memory of the gateway process below `serve`, in KiB. */
async function gatewayRssKiB(servePid: number): Promise<number> {
  for (const pid of await descendants(servePid)) {
    const argv = await commandLine(pid);
    if (argv.includes("__gateway") || argv.some((arg) => arg.endsWith("server/main.ts"))) {
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      return Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
    }
  }
  return NaN;
}

/** Runs the serve benchmarks, prints their figures and returns those checked against goals. */
export async function benchServe(): Promise<GoalFigure[]> {
  const labels = {
    warm: "warm start to healthy, above bare youki run",
    cold: "cold start (first unpack) vs warm start",
    grpc: "first gRPC Health call after ready",
    rss: "gateway resident memory after start",
  };
  const goals = { warm: SERVE_START_GOAL, cold: COLD_GOAL, grpc: FIRST_GRPC_GOAL, rss: RSS_GOAL };
  const blocker = await serveStartBlocker();
  if (blocker !== undefined) {
    console.log(`skipped: ${blocker}`);
    return (Object.keys(labels) as (keyof typeof labels)[]).map((key) => ({
      label: labels[key],
      value: NaN,
      goal: goals[key],
      note: blocker,
    }));
  }
  const figures: GoalFigure[] = [];
  const scratch = await Deno.makeTempDir({ prefix: "openshell-bench-serve-" });
  await Deno.chmod(scratch, 0o755);
  const env = sandboxEnv(scratch, 0o755);
  const serve = (args: string[]) => (port: number) => spawnServe(env, args, port);
  try {
    const start = await measureServeStart(env, scratch, ROUNDS);
    await warmUp(env, "cold");
    await warmUp(env, "warm");
    // Cold: an empty cache, next to a warm start (the cache the cold one filled, or the one
    // before), which goes first alternately.
    const cold: number[] = [];
    const warm: number[] = [];
    const coldStart = async () => {
      await Deno.remove(join(env.XDG_CACHE_HOME!, "openshell"), { recursive: true })
        .catch(() => {});
      cold.push(await timeStart(env, "cold"));
    };
    for (let round = 0; round < COLD_ROUNDS; round++) {
      if (round % 2 === 0) await coldStart();
      warm.push(await timeStart(env, "warm"));
      if (round % 2 === 1) await coldStart();
    }
    const coldRatio = pairedRatio(cold, warm);
    const floorMs = median(start.floor);
    const oursMs = median(start.serve);
    const overhead = serveOverhead(start);
    const runtime = start.runtime.split("/").at(-1);
    console.log(
      `floor (bare \`${runtime} run\` of serve's bundle to healthy): ${formatMs(floorMs)}`,
    );
    console.log(`openshell serve, warm cache, to healthy:          ${formatMs(oursMs)}`);
    console.log(
      `  overhead ${formatDeltaMs(overhead)} (median of ${ROUNDS} paired rounds)  ${
        formatGoal(overhead, SERVE_START_GOAL)
      }; ratio ${(oursMs / floorMs).toFixed(2)}x`,
    );
    console.log(
      `openshell serve, cold cache, to healthy:          ${formatMs(median(cold))}, ${
        formatRatio(coldRatio)
      } the warm start next to it (median of ${COLD_ROUNDS} pairs)  ${
        formatGoal(coldRatio, COLD_GOAL)
      }`,
    );
    figures.push(
      {
        label: labels.warm,
        value: overhead,
        goal: SERVE_START_GOAL,
        note: `median of ${ROUNDS} paired rounds`,
      },
      {
        label: labels.cold,
        value: coldRatio,
        goal: COLD_GOAL,
        note: `median of ${COLD_ROUNDS} pairs`,
      },
    );

    // Resident memory and throughput of the running gateway, against a bare Deno.serve.
    let rss = NaN;
    let gatewayRps = NaN;
    // The bench's own HTTP/2 client is warmed on another gateway first, so the first call
    // below costs what the gateway spends on it, not what this process spends on its first.
    const warmPort = freePort();
    const warmGateway = serve(["--name", "grpc-client-warmup"])(warmPort);
    await untilHealthy(warmPort, warmGateway, mtlsDir(env, "grpc-client-warmup"));
    await grpcHealthMs(warmPort, mtlsDir(env, "grpc-client-warmup"));
    await stop(warmGateway, "serve");
    const grpcPort = freePort();
    const grpcGateway = spawnServe(env, ["--name", "grpc"], grpcPort, "stderr");
    // Its memory once serve says it is ready, before any client; then once the bench's own
    // first client, over HTTP/2, has been answered.
    await serveSaysReady(grpcGateway);
    rss = await gatewayRssKiB(grpcGateway.pid);
    await untilHealthy(grpcPort, grpcGateway, mtlsDir(env, "grpc"));
    const rssAnswered = await gatewayRssKiB(grpcGateway.pid);
    const firstGrpc = await grpcHealthMs(grpcPort, mtlsDir(env, "grpc"));
    const later: number[] = [];
    for (let call = 0; call < 5; call++) {
      later.push(await grpcHealthMs(grpcPort, mtlsDir(env, "grpc")));
    }
    const laterGrpc = median(later);
    const tlsRps = await healthzRps(grpcPort, mtlsDir(env, "grpc"));
    await stop(grpcGateway, "serve");
    const pki = servedPkiPaths(registryRoots((name) => env[name], Deno.uid()!, () => {}), "grpc");
    const floor = await memoryFloorMB({ cert: pki.serverCert, key: pki.serverKey, ca: pki.ca });
    // wrk speaks no client certificates: throughput is measured on plaintext gateways.
    const rpsPort = freePort();
    const gateway = serve(["--name", "wrk", "--auth", "token"])(rpsPort);
    await untilHealthy(rpsPort, gateway);
    const plainRps = await healthzRps(rpsPort, undefined);
    if (await onPath("wrk")) gatewayRps = await wrk(rpsPort);
    gateway.kill("SIGTERM");
    await gateway.status;
    console.log(
      `gateway resident memory once serve says it is ready: ${(rss / 1024).toFixed(1)} MB  ${
        formatGoal(rss / 1024, RSS_GOAL)
      }; once it has answered a first client over HTTP/2 ${
        (rssAnswered / 1024).toFixed(1)
      } MB; floor: a bare Deno.serve ${floor.serve.toFixed(1)} MB, with a node:tls server ` +
        `asking client certificates ${floor.tls.toFixed(1)} MB`,
    );
    console.log(
      `/healthz to a Deno client (16 connections): mTLS ${tlsRps.toFixed(0)} req/s, ` +
        `plaintext ${plainRps.toFixed(0)} req/s, ratio ${(tlsRps / plainRps).toFixed(2)}x`,
    );
    console.log(
      `gRPC Health: first call after ready ${firstGrpc.toFixed(1)} ms  ${
        formatGoal(firstGrpc, FIRST_GRPC_GOAL)
      }; later ${laterGrpc.toFixed(1)} ms (median of ${later.length})`,
    );
    figures.push(
      { label: labels.grpc, value: firstGrpc, goal: FIRST_GRPC_GOAL, note: "one call" },
      {
        label: labels.rss,
        value: rss / 1024,
        goal: RSS_GOAL,
        note: `VmRSS once serve says it is ready, ${
          (rssAnswered / 1024).toFixed(1)
        } MB once it has answered over HTTP/2; Deno with a node:tls server alone: ${
          floor.tls.toFixed(1)
        } MB`,
      },
    );
    if (await onPath("wrk")) {
      const helloPort = freePort();
      const hello = new Deno.Command(Deno.execPath(), {
        args: [
          "eval",
          `Deno.serve({ port: ${helloPort}, hostname: "127.0.0.1", onListen() {} }, () => new Response("ok"))`,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn();
      await untilHealthy(helloPort, hello);
      const helloRps = await wrk(helloPort);
      hello.kill("SIGTERM");
      await hello.status;
      console.log(
        `wrk /healthz: gateway ${gatewayRps.toFixed(0)} req/s, bare Deno.serve ${
          helloRps.toFixed(0)
        } req/s, ratio ${(gatewayRps / helloRps).toFixed(2)}x`,
      );
      // The seccomp filter's cost: both gateways run at once and are measured in turns, so
      // load from elsewhere on the machine hits both alike; the median of the turns' ratios.
      const contenders = (["default", "unconfined"] as const).map((seccomp) => {
        const port = freePort();
        const args = ["--name", `wrk-${seccomp}`, `--seccomp=${seccomp}`, "--auth", "token"];
        return { port, child: serve(args)(port) };
      });
      const ratios: number[] = [];
      try {
        for (const { port, child } of contenders) await untilHealthy(port, child);
        for (let round = 0; round < 7; round++) {
          const order = round % 2 === 0 ? contenders : [...contenders].reverse();
          const rps = new Map<number, number>();
          for (const { port } of order) rps.set(port, await wrk(port, 2));
          ratios.push(rps.get(contenders[0]!.port)! / rps.get(contenders[1]!.port)!);
        }
      } finally {
        for (const { child } of contenders) {
          child.kill("SIGTERM");
          await child.status;
        }
      }
      console.log(
        `wrk /healthz with the seccomp profile against unconfined: ratio ${
          median(ratios).toFixed(2)
        }x (goal >= 0.95; turns ${ratios.map((r) => r.toFixed(2)).join(" ")})`,
      );
    } else {
      console.log("wrk not installed: throughput not measured");
    }
  } finally {
    await new Deno.Command("chmod", { args: ["-R", "u+rwX", scratch] }).output();
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
  return figures;
}
