/**
 * Every file the host side opens under a directory another principal can write goes through
 * the files rule (`src/files/untrusted_file.ts`): observed with strace on the real program,
 * as each principal. Root acting on an ordinary user's served gateway (`gateway logs`,
 * `logs -f`, `stop`) opens under that user's gateway home and log dir; a rootless
 * `serve --detach`, its `logs` and `stop` open under the state dir the container writes.
 * Each such open must refuse links (`O_NOFOLLOW`) or create a new file only (`O_EXCL`).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gatewayHomes } from "../src/host/mod.ts";
import { processStart } from "../src/serve/served_record.ts";
import { freePort } from "./_helpers/loopback.ts";
import { onPath, runCommand } from "./_helpers/run_command.ts";
import { cliArgv } from "./_helpers/sandbox.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { createServeSandbox, uniqueGatewayName } from "./_helpers/serve_fixture.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";

const user = await userIds(TEST_USER);
const ready = Deno.uid() === 0 && user !== undefined && await onPath("strace") &&
  await onPath("runc");
if (!ready) {
  console.error("untrusted path tests skipped: they need root, the test user, strace, runc");
}

/** One file opened, as strace shows it. */
interface Open {
  path: string;
  flags: string[];
}

/**
 * Starts `argv` under strace (children too, a detached launcher included); `finished`
 * resolves once every traced process has ended, to the files opened under any of `dirs`.
 */
function traceOpens(argv: string[], env: Record<string, string>, dirs: string[]) {
  const trace = Deno.makeTempFileSync({ prefix: "openshell-strace-" });
  const child = new Deno.Command("strace", {
    args: ["-f", "-qq", "-e", "trace=open,openat,openat2,creat", "-o", trace, ...argv],
    env,
    clearEnv: true,
    cwd: "/", // the checkout may be one only its owner can enter
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const finished = (async () => {
    const { code } = await child.status;
    const opens: Open[] = [];
    for (const line of (await Deno.readTextFile(trace)).split("\n")) {
      const match = /open(?:at2?)?\((?:AT_FDCWD|\d+)?,? ?"([^"]+)", ([A-Z_|]+)/.exec(line);
      if (!match) continue;
      const path = match[1]!;
      if (dirs.some((dir) => path.startsWith(`${dir}/`))) {
        opens.push({ path, flags: match[2]!.split("|") });
      }
    }
    await Deno.remove(trace);
    return { code, opens };
  })();
  return { finished };
}

/** Runs `argv` under strace; its status and the files it opened under any of `dirs`. */
function opensUnder(argv: string[], env: Record<string, string>, dirs: string[]) {
  return traceOpens(argv, env, dirs).finished;
}

/** Each open refuses a link, or creates a new file and nothing else. */
function assertUnderTheRule(opens: Open[]): void {
  for (const open of opens) {
    const guarded = open.flags.includes("O_NOFOLLOW") ||
      (open.flags.includes("O_CREAT") && open.flags.includes("O_EXCL"));
    assert.ok(guarded, `${open.path} opened with ${open.flags.join("|")}`);
  }
}

const names = (opens: Open[]) => [...new Set(opens.map((o) => o.path.split("/").pop()!))].sort();

Deno.test({
  name: "root opens an ordinary user's served record and log only under the files rule",
  ignore: !ready,
  async fn() {
    await using userBox = await createServeSandbox(user!);
    const name = uniqueGatewayName("paths");
    const run = (args: string[]) =>
      runCommand(asUser(TEST_USER, sharedCliArgv(args)), { env: userBox.env, cwd: userBox.root });
    const served = await run([
      "serve",
      "-d",
      "--name",
      name,
      "--runtime",
      "runc",
      "--listen",
      `127.0.0.1:${freePort()}`,
    ]);
    assert.equal(served.code, 0, served.stderr);
    const logPath = /^Log: (\S+)/m.exec(served.stderr)![1]!;
    const home = gatewayHomes(user!.uid)[0]!;
    const foreign = [home, join(logPath, "..")];
    try {
      const rootEnv = { ...userBox.env, XDG_RUNTIME_DIR: userBox.runtime };
      const logs = await opensUnder(cliArgv(["gateway", "logs", name]), rootEnv, foreign);
      assert.equal(logs.code, 0);
      assert.deepEqual(names(logs.opens), ["gateway.log", "gateway.log.1", "served.json"]);
      assertUnderTheRule(logs.opens);
      const stop = await opensUnder(cliArgv(["gateway", "stop", name]), rootEnv, foreign);
      assert.equal(stop.code, 0);
      assert.deepEqual(names(stop.opens), ["served.json"]);
      assertUnderTheRule(stop.opens);
    } finally {
      await run(["gateway", "stop", name]);
    }
  },
});

Deno.test({
  name:
    "rootless serve --detach, logs and stop open nothing under the container's state dir but under the rule",
  ignore: !ready,
  async fn() {
    await using userBox = await createServeSandbox(user!);
    const name = uniqueGatewayName("state");
    const stateDir = join(userBox.state, "openshell/gateways", name);
    const traced = (args: string[]) =>
      traceOpens(asUser(TEST_USER, sharedCliArgv(args)), userBox.env, [stateDir]);
    // Traced until the launcher it leaves behind ends too.
    const serve = traced([
      "serve",
      "-d",
      "--name",
      name,
      "--runtime",
      "runc",
      "--listen",
      `127.0.0.1:${freePort()}`,
    ]);
    const record = join(gatewayHomes(user!.uid)[0]!, "gateways", name, "served.json");
    try {
      for (let i = 0; i < 600 && !(await Deno.stat(record).then(() => true, () => false)); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const logs = await traced(["gateway", "logs", name]).finished;
      assert.equal(logs.code, 0);
      const stop = await traced(["gateway", "stop", name]).finished;
      assert.equal(stop.code, 0);
      const served = await serve.finished;
      const opens = [...served.opens, ...logs.opens, ...stop.opens];
      // serve's write probe is the one file it makes there; the rest is the container's own.
      assert.ok(opens.some((open) => /\/\.probe-[0-9a-f-]+$/.test(open.path)), "the probe is seen");
      assert.ok(
        opens.every((open) => /\/\.probe-[0-9a-f-]+$/.test(open.path)),
        JSON.stringify(opens),
      );
      assertUnderTheRule(opens);
    } finally {
      const left = await Deno.readTextFile(record).then(JSON.parse, () => undefined);
      if (left && (await processStart(left.pid)) === left.pid_start) Deno.kill(left.pid, "SIGTERM");
    }
  },
});
