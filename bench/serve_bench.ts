/**
 * `serve` start-up: time from starting `openshell serve` to the first healthy answer (warm
 * cache), against the floor measured in the same run: `youki run` of a ready, hand-made
 * bundle starting the same gateway. openshell's own overhead is the difference (goal: under
 * 50 ms, within 2x of the floor). Also reported: cold-cache start, the gateway's resident
 * memory, the first and a later gRPC `Health` call (the first loads HTTP/2 support), `wrk`
 * throughput of `/healthz` against a bare `Deno.serve` hello-world, and with the seccomp
 * profile against without it (goal: ratio >= 0.95).
 * Needs root and youki (the root-mode container); otherwise it says why and measures nothing.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { ensureRootfs } from "../src/image/mod.ts";
import { buildOciConfig } from "../src/container/mod.ts";
import { ROOT_MODE_HOST_ID } from "../src/contract/mod.ts";
import { maskedEqOrder, seccompProfile } from "../src/container/seccomp_profile.ts";
import { bundlePaths, removeBundle, stageBundle } from "../src/container/stage_bundle.ts";
import { readCallerHardLimits } from "../src/runtime/_caller_limits.ts";
import {
  callerCgroup,
  containerCgroupsPath,
  detectCgroupLayout,
} from "../src/runtime/_cgroup_path.ts";

const ROUNDS = 10;
const REPO = resolve(import.meta.dirname!, "..");
const SRC = join(REPO, "src");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Polls until `/healthz` answers 200; the same loop for every contender. */
async function untilHealthy(port: number, child: Deno.ChildProcess): Promise<void> {
  let exited = false;
  child.status.then(() => (exited = true));
  for (;;) {
    if (exited) throw new Error("the process exited before answering");
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function timeStart(
  spawn: (port: number) => Deno.ChildProcess,
  onReady?: (child: Deno.ChildProcess) => Promise<void>,
): Promise<number> {
  const port = freePort();
  const start = performance.now();
  const child = spawn(port);
  await untilHealthy(port, child);
  const elapsed = performance.now() - start;
  await onReady?.(child);
  child.kill("SIGTERM");
  const status = await child.status;
  if (status.code !== 0) throw new Error(`exit status ${status.code}`);
  return elapsed;
}

async function wrk(port: number, seconds = 4): Promise<number> {
  const output = await new Deno.Command("wrk", {
    args: ["-t2", "-c32", `-d${seconds}s`, `http://127.0.0.1:${port}/healthz`],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
}

/** Milliseconds for one gRPC `Health` call over a new HTTP/2 connection. */
async function grpcHealthMs(port: number): Promise<number> {
  const http2 = await import("node:http2");
  const start = performance.now();
  const session = http2.connect(`http://127.0.0.1:${port}`);
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

async function onPath(program: string): Promise<boolean> {
  return (await new Deno.Command("sh", { args: ["-c", `command -v ${program}`], stdout: "null" })
    .output()).success;
}

async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    if (stat) {
      parents.set(Number(entry.name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    }
  }
  const result: number[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parents) if (pp === p) (result.push(c), walk(c));
  };
  walk(pid);
  return result;
}

async function gatewayRssKiB(servePid: number): Promise<number> {
  for (const pid of await descendants(servePid)) {
    const cmdline = await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "");
    if (cmdline.includes("server/main.ts")) {
      const status = await Deno.readTextFile(`/proc/${pid}/status`);
      return Number(/^VmRSS:\s+(\d+)/m.exec(status)![1]);
    }
  }
  return NaN;
}

/** Runs the serve benchmarks and prints their ratios. */
export async function benchServe(): Promise<void> {
  if (Deno.uid() !== 0 || !(await onPath("youki"))) {
    console.log("skipped: needs root and youki (the floor is a root-mode youki container)");
    return;
  }
  const scratch = await Deno.makeTempDir({ prefix: "openshell-bench-serve-" });
  await Deno.chmod(scratch, 0o755);
  const dirs = Object.fromEntries(
    await Promise.all(["home", "config", "cache", "state", "runtime", "floor"].map(async (d) => {
      await Deno.mkdir(join(scratch, d), { mode: 0o755 });
      return [d, join(scratch, d)] as const;
    })),
  );
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: dirs.home!,
    XDG_CONFIG_HOME: dirs.config!,
    XDG_CACHE_HOME: dirs.cache!,
    XDG_STATE_HOME: dirs.state!,
    XDG_RUNTIME_DIR: dirs.runtime!,
    OPENSHELL_SYSTEM_GATEWAY_DIR: join(scratch, "system"),
    DENO_DIR: Deno.env.get("DENO_DIR") ?? join(Deno.env.get("HOME") ?? "/root", ".cache/deno"),
    NO_COLOR: "1",
  };
  const serve = (args: string[]) => (port: number) =>
    new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        join(SRC, "main.ts"),
        "serve",
        "--listen",
        `127.0.0.1:${port}`,
        ...args,
      ],
      env,
      clearEnv: true,
      stdout: "null",
      stderr: "null",
    }).spawn();
  try {
    // Cold: an empty cache each round.
    const cold: number[] = [];
    for (let round = 0; round < 3; round++) {
      await Deno.remove(join(dirs.cache!, "openshell"), { recursive: true }).catch(() => {});
      cold.push(await timeStart(serve(["--name", "cold"])));
    }
    const rootfs = await ensureRootfs({ env: (n) => env[n], uid: 0 });

    // The floor: a ready bundle, staged once, run directly by youki.
    const stateDir = join(dirs.floor!, "state");
    await Deno.mkdir(stateDir);
    await Deno.chown(stateDir, ROOT_MODE_HOST_ID, ROOT_MODE_HOST_ID);
    const layout = await detectCgroupLayout();
    const caller = callerCgroup(await Deno.readTextFile("/proc/self/cgroup"), layout);
    const youkiRoot = join(dirs.floor!, "youki");
    await Deno.mkdir(youkiRoot, { mode: 0o700 });
    const floorRun = (round: () => number) => (port: number) => {
      const id = `openshell-floor-${round()}`;
      return new Deno.Command("youki", {
        args: ["--root", youkiRoot, "run", "--bundle", join(dirs.floor!, `b${port}`, id), id],
        stdout: "null",
        stderr: "null",
      }).spawn();
    };
    const floor: number[] = [];
    const ours: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const port = freePort();
      const id = `openshell-floor-${round}`;
      const paths = bundlePaths(join(dirs.floor!, `b${port}`), id);
      await Deno.mkdir(join(dirs.floor!, `b${port}`), { mode: 0o711 });
      const config = buildOciConfig({
        name: "floor",
        listen: `127.0.0.1:${port}`,
        version: "bench",
        hostUid: ROOT_MODE_HOST_ID,
        hostGid: ROOT_MODE_HOST_ID,
        rootfs: rootfs.path,
        stateDir,
        secretsDir: paths.secrets,
        binary: Deno.execPath(),
        sourceDir: SRC,
        cgroupsPath: containerCgroupsPath(caller, id),
        hardLimits: await readCallerHardLimits(),
        seccomp: seccompProfile(Deno.build.arch, maskedEqOrder("youki")),
        resources: {},
      });
      await stageBundle({
        paths,
        config,
        secrets: { token: "bench\n" },
        containerOwner: { uid: ROOT_MODE_HOST_ID, gid: ROOT_MODE_HOST_ID },
      });
      const start = performance.now();
      const child = floorRun(() => round)(port);
      await untilHealthy(port, child);
      floor.push(performance.now() - start);
      child.kill("SIGTERM");
      await child.status;
      await removeBundle(paths);
      ours.push(await timeStart(serve(["--name", "warm"])));
    }
    const floorMs = median(floor);
    const oursMs = median(ours);
    console.log(`floor (youki run of a ready bundle to healthy): ${floorMs.toFixed(1)} ms`);
    console.log(`openshell serve, warm cache, to healthy:         ${oursMs.toFixed(1)} ms`);
    console.log(
      `  overhead ${(oursMs - floorMs).toFixed(1)} ms (goal < 50 ms), ratio ${
        (oursMs / floorMs).toFixed(2)
      }x (goal <= 2x)`,
    );
    console.log(`openshell serve, cold cache, to healthy:         ${median(cold).toFixed(1)} ms`);

    // Resident memory and throughput of the running gateway, against a bare Deno.serve.
    let rss = NaN;
    let gatewayRps = NaN;
    const rpsPort = freePort();
    const gateway = serve(["--name", "wrk"])(rpsPort);
    await untilHealthy(rpsPort, gateway);
    rss = await gatewayRssKiB(gateway.pid);
    const firstGrpc = await grpcHealthMs(rpsPort);
    const later: number[] = [];
    for (let call = 0; call < 5; call++) later.push(await grpcHealthMs(rpsPort));
    const laterGrpc = median(later);
    if (await onPath("wrk")) gatewayRps = await wrk(rpsPort);
    gateway.kill("SIGTERM");
    await gateway.status;
    console.log(`gateway resident memory: ${(rss / 1024).toFixed(1)} MiB`);
    console.log(
      `gRPC Health: first call ${firstGrpc.toFixed(1)} ms (loads HTTP/2), later ${
        laterGrpc.toFixed(1)
      } ms`,
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
        return { port, child: serve(["--name", `wrk-${seccomp}`, `--seccomp=${seccomp}`])(port) };
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
}
