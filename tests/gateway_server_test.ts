import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { gatewayArgs, gatewayDenoFlags } from "../src/gateway/gateway_command_line.ts";
import { freePort } from "./_helpers/loopback.ts";

const GATEWAY_MAIN = resolve(import.meta.dirname!, "../src/gateway/main.ts");

interface RunningGateway extends AsyncDisposable {
  child: Deno.ChildProcess;
  lines: string[];
  url: string;
  /** Resolves with the first log line matching `msg`. */
  waitFor(msg: string): Promise<Record<string, unknown>>;
  finish(): Promise<{ code: number; lines: Record<string, unknown>[] }>;
}

/** Starts the gateway on the host exactly as the container does, with host paths. */
function startGateway(dir: string, port: number, extra: string[] = []): RunningGateway {
  const stateDir = join(dir, "state");
  const tokenFile = join(dir, "token");
  const listen = `127.0.0.1:${port}`;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...gatewayDenoFlags(listen, { stateDir, tokenFile }),
      GATEWAY_MAIN,
      ...gatewayArgs({ name: "corp", listen, version: "9.9.9", stateDir, tokenFile }),
      ...extra,
    ],
    env: { DENO_DIR: join(dir, "deno"), PATH: "/usr/bin:/bin" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
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
        finish().then(() => reject(new Error(`Gateway exited before "${msg}": ${lines}`)));
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

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "openshell-gateway-" });
  try {
    await Deno.mkdir(join(dir, "state"));
    await Deno.writeTextFile(join(dir, "token"), "tok-123\n", { mode: 0o600 });
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the gateway serves healthz and info, counts starts and stops cleanly on SIGTERM and SIGINT", async () => {
  await withDir(async (dir) => {
    for (const [round, signal] of [[1, "SIGTERM"], [2, "SIGINT"]] as const) {
      const port = freePort();
      await using gateway = startGateway(dir, port);
      const listening = await gateway.waitFor("Listening");
      assert.equal(listening.port, port);
      assert.equal(listening.starts, round);
      const health = await fetch(`${gateway.url}/healthz`);
      assert.deepEqual(await health.json(), { ok: true });
      const denied = await fetch(`${gateway.url}/v1/info`);
      assert.equal(denied.status, 401);
      await denied.body?.cancel();
      const info = await fetch(`${gateway.url}/v1/info`, {
        headers: { authorization: "Bearer tok-123" },
      });
      const body = await info.json();
      assert.equal(body.name, "corp");
      assert.equal(body.version, "9.9.9");
      assert.equal(body.pid, gateway.child.pid);
      assert.equal(body.uid, Deno.uid());
      assert.equal(body.starts, round);
      gateway.child.kill(signal);
      const { code, lines } = await gateway.finish();
      assert.equal(code, 0);
      assert.deepEqual(lines.map((l) => l.msg), [
        "Listening",
        "Request",
        "Request",
        "Shutting down",
        "Stopped",
      ]);
      assert.equal(lines[3]!.signal, signal);
    }
  });
});

Deno.test("the gateway exits 1 when its port is taken", async () => {
  await withDir(async (dir) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      await using gateway = startGateway(dir, (listener.addr as Deno.NetAddr).port);
      const { code, lines } = await gateway.finish();
      assert.equal(code, 1);
      assert.equal(lines.at(-1)!.msg, "Cannot listen");
      assert.match(String(lines.at(-1)!.error), /in use/i);
    } finally {
      listener.close();
    }
  });
});

Deno.test("the gateway exits 1 without its token and 2 on bad arguments", async () => {
  await withDir(async (dir) => {
    await Deno.remove(join(dir, "token"));
    await using missing = startGateway(dir, freePort());
    const first = await missing.finish();
    assert.equal(first.code, 1);
    assert.equal(first.lines.at(-1)!.msg, "Cannot start");
    assert.match(String(first.lines.at(-1)!.error), /token/);
    await using bad = startGateway(dir, freePort(), ["--bogus"]);
    const second = await bad.finish();
    assert.equal(second.code, 2);
    assert.match(String(second.lines.at(-1)!.error), /Unknown gateway option "--bogus"/);
  });
});
