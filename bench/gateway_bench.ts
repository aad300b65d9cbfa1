/**
 * The gateway server under load and under attack, run on the host exactly as the container runs
 * it (the same `deno run` flags and arguments, under the descriptor limit the container gets):
 *
 * - `wrk` throughput of `GET /healthz` at 50 and at 1000 connections against a bare
 *   `Deno.serve` answering the same JSON, both running at once and measured in paired turns,
 *   three runs of four pairs (goal: the median ratio >= 0.9x);
 * - the gateway's peak resident memory through the HTTP/2 flood battery
 *   (`tests/_helpers/gateway_attacks.py`), against the bound the README states.
 *
 * Needs `wrk` and `python3`; otherwise it says why and measures nothing.
 *
 * @module
 */
import { join, resolve } from "node:path";
import { gatewayArgs, gatewayDenoFlags } from "../src/contract/gateway_command_line.ts";
import { FLOOD_MEMORY_BOUND_MIB } from "../src/server/_limits.ts";
import { formatGoal, formatRatio, type Goal, type GoalFigure, median } from "./_report.ts";
import { freePort, onPath, untilHealthy, wrkRps } from "./_serve_start.ts";

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

function limited(openFiles: number, args: string[]): Deno.ChildProcess {
  return new Deno.Command("prlimit", {
    args: [`--nofile=${openFiles}`, "--", Deno.execPath(), ...args],
    stdout: "null",
    stderr: "null",
  }).spawn();
}

function startGateway(dir: string, port: number, openFiles: number): Deno.ChildProcess {
  const paths = { stateDir: join(dir, "state"), tokenFile: join(dir, "token") };
  const listen = `127.0.0.1:${port}`;
  return limited(openFiles, [
    "run",
    ...gatewayDenoFlags(listen, paths),
    GATEWAY_MAIN,
    // Told its descriptor limit, as the container's launcher tells it, so its cap follows it.
    ...gatewayArgs({ name: "bench", listen, version: "0.0.0", openFiles, ...paths }),
  ]);
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

/** Runs the gateway benchmarks, prints their figures and returns those with a goal. */
export async function benchGateway(): Promise<GoalFigure[]> {
  for (const tool of ["wrk", "python3", "prlimit"]) {
    if (!(await onPath(tool))) {
      console.log(`skipped: needs ${tool}`);
      return [];
    }
  }
  const figures: GoalFigure[] = [];
  const limits = await Deno.readTextFile("/proc/self/limits");
  const hard = /^Max open files\s+\S+\s+(\S+)/m.exec(limits)?.[1] ?? "unlimited";
  const openFiles = Math.min(WANTED_OPEN_FILES, hard === "unlimited" ? Infinity : Number(hard));
  const dir = await Deno.makeTempDir({ prefix: "openshell-bench-gateway-" });
  try {
    await Deno.mkdir(join(dir, "state"));
    await Deno.writeTextFile(join(dir, "token"), "bench-token\n");
    const gatewayPort = freePort();
    const barePort = freePort();
    const gateway = startGateway(dir, gatewayPort, openFiles);
    const bare = limited(openFiles, ["eval", BARE, String(barePort)]);
    try {
      await untilHealthy(gatewayPort, gateway);
      await untilHealthy(barePort, bare);
      for (const connections of CONNECTIONS) {
        const ratios: number[] = [];
        const rows: string[] = [];
        for (let run = 0; run < RUNS; run++) {
          // A run is turns in pairs, who goes first alternating, so that load from elsewhere
          // on the machine hits both alike; its ratio is the median of its pairs'.
          const pairs: number[] = [];
          const totals = [0, 0];
          for (let turn = 0; turn < TURNS; turn++) {
            const order = turn % 2 === 0 ? [gatewayPort, barePort] : [barePort, gatewayPort];
            const rps = new Map<number, number>();
            for (const port of order) rps.set(port, await wrkRps(port, connections, TURN_SECONDS));
            pairs.push(rps.get(gatewayPort)! / rps.get(barePort)!);
            totals[0]! += rps.get(gatewayPort)! / TURNS;
            totals[1]! += rps.get(barePort)! / TURNS;
          }
          const ratio = median(pairs);
          ratios.push(ratio);
          rows.push(
            `${totals[0]!.toFixed(0)} vs ${totals[1]!.toFixed(0)} req/s ${formatRatio(ratio)}`,
          );
        }
        const ratio = median(ratios);
        console.log(
          `wrk /healthz, ${connections} connections, gateway against a bare Deno.serve: ${
            formatRatio(ratio)
          } (median of ${RUNS} runs: ${rows.join(", ")})  ${formatGoal(ratio, RATIO_GOAL)}`,
        );
        figures.push({
          label: `/healthz at ${connections} connections vs bare Deno.serve`,
          value: ratio,
          goal: RATIO_GOAL,
          note: `median of ${RUNS} runs: ${ratios.map(formatRatio).join(" ")}`,
        });
      }
    } finally {
      await stop(gateway);
      await stop(bare);
    }

    // A fresh gateway for the floods, so its peak memory is theirs.
    const floodPort = freePort();
    const flooded = startGateway(dir, floodPort, openFiles);
    try {
      await untilHealthy(floodPort, flooded);
      const before = await peakRssKiB(flooded.pid);
      const seen: string[] = [];
      let attacked = true;
      for (const kind of FLOODS) {
        const output = await new Deno.Command("python3", {
          args: [ATTACKS, String(floodPort), kind, "3"],
          stdout: "piped",
          stderr: "null",
        }).output();
        const result = JSON.parse(new TextDecoder().decode(output.stdout) || "{}");
        seen.push(`${kind} ${result.goaway === 11 ? "GOAWAY" : `goaway=${result.goaway}`}`);
        attacked &&= output.success && result.goaway === 11;
      }
      // A flood that did not run (or was not ended by GOAWAY) measures nothing.
      const peak = attacked ? (await peakRssKiB(flooded.pid)) / 1024 : NaN;
      console.log(
        `gateway peak memory through the HTTP/2 flood battery: ${peak.toFixed(1)} MB (${
          (before / 1024).toFixed(1)
        } MB before; ${seen.join(", ")})  ${formatGoal(peak, MEMORY_GOAL)}`,
      );
      figures.push({
        label: "peak memory through the HTTP/2 flood battery",
        value: peak,
        goal: MEMORY_GOAL,
        note: "VmHWM",
      });
    } finally {
      await stop(flooded);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  return figures;
}
