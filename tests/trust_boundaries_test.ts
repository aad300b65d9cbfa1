/**
 * What root trusts of an ordinary user's files, and what the host trusts of the container's,
 * through the real program as each principal: root against records the test user plants,
 * the test user against a process inside its own gateway container, and a full disk under a
 * detached gateway's log.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { gatewayHomes } from "../src/host/mod.ts";
import { processStart } from "../src/serve/served_record.ts";
import { evalInContainer } from "./_helpers/container_probe.ts";
import { freePort } from "./_helpers/loopback.ts";
import { onPath, runCommand } from "./_helpers/run_command.ts";
import { type CliResult, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { sharedCliArgv } from "./_helpers/shared_checkout.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";

const user = await userIds(TEST_USER);
const isRoot = Deno.uid() === 0;
const youki = await onPath("youki");
const runc = await onPath("runc");
if (!isRoot || !user) {
  console.error("trust boundary tests skipped: they run as root and the test user");
}

const asTestUser = (sandbox: Sandbox, args: string[], env: Record<string, string> = {}) =>
  runCommand(asUser(TEST_USER, sharedCliArgv(args)), {
    env: { ...sandbox.env, ...env },
    cwd: sandbox.root,
  });

/** Runs `script` with sh as the test user. */
async function shAsUser(script: string, ...args: string[]): Promise<void> {
  const result = await runCommand(asUser(TEST_USER, ["sh", "-ec", script, "sh", ...args]), {
    env: { PATH: "/usr/bin:/bin" },
  });
  assert.equal(result.code, 0, result.stderr);
}

/** The command line of a running process, as a served record holds it. */
async function commandOf(pid: number): Promise<string[]> {
  return (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").filter((a) => a !== "");
}

/**
 * Plants, as the test user, a served record of `name` in each place a root `gateway stop`
 * may look for that user's gateway (the user's gateway home; the runtime dir of the user's
 * environment): files of the user's, as the user could write them. Returns what to remove.
 */
async function plantRecord(
  userBox: Sandbox,
  name: string,
  record: Record<string, unknown>,
  extra: (dir: string) => string = () => "",
): Promise<string[]> {
  const dirs = [
    join(gatewayHomes(user!.uid)[0]!, "gateways", name),
    join(userBox.runtime, "openshell", "gateways", name),
  ];
  for (const dir of dirs) {
    await shAsUser(
      `umask 077; mkdir -p "$1"; printf '%s' "$2" >"$1/served.json"; ${extra("$1")}`,
      dir,
      JSON.stringify(record),
    );
  }
  return dirs;
}

function recordFor(
  name: string,
  pid: number,
  pidStart: number,
  command: string[],
  logPath = null as string | null,
) {
  return {
    name,
    pid,
    pidStart,
    uid: user!.uid,
    containerId: `openshell-${name}-00000000`,
    runtime: "runc",
    runtimePath: "/usr/bin/runc",
    url: "http://127.0.0.1:1",
    readyAt: new Date().toISOString(),
    logPath,
    tokenPath: "/nonexistent",
    unit: null,
    command,
  };
}

Deno.test({
  name:
    "root's gateway stop signals no pid a user's record names unless it is that user's launcher, and writes nothing there",
  ignore: !isRoot || !user,
  async fn() {
    await using rootBox = await createServeSandbox();
    await using userBox = await createServeSandbox(user!);
    const name = uniqueGatewayName("plant");
    // A root process the user would like root to kill.
    const victim = new Deno.Command("sleep", { args: ["60"] }).spawn();
    const created = join(rootBox.root, "created-through-the-link");
    let dirs: string[] = [];
    try {
      dirs = await plantRecord(
        userBox,
        name,
        recordFor(name, victim.pid, (await processStart(victim.pid))!, await commandOf(victim.pid)),
        (dir) => `ln -s '${created}' "${dir}/lock"`,
      );
      const stop = await runCli(userBox, ["gateway", "stop", name]);
      assert.equal(stop.code, 1, stop.stderr);
      assert.match(
        stop.stderr,
        new RegExp(
          `^error: A served record of gateway "${name}" fails a check, so nothing was done: .*pid ${victim.pid} runs as uid 0/0/0/0, not as uid ${
            user!.uid
          }`,
          "m",
        ),
      );
      assert.notEqual(
        await processStart(victim.pid),
        undefined,
        "root's process was not signalled",
      );
      assert.equal(
        await Deno.lstat(created).catch(() => undefined),
        undefined,
        "nothing written through the link",
      );
    } finally {
      victim.kill("SIGKILL");
      await victim.status;
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "root's gateway logs reads a user's log only as a regular file of theirs: no link, no other owner's file",
  ignore: !isRoot || !user,
  async fn() {
    await using userBox = await createServeSandbox(user!);
    const name = uniqueGatewayName("shadow");
    // A process of the user's that looks like a launcher (its command line holds "serve").
    const launcher = new Deno.Command("setpriv", {
      args: [
        `--reuid=${user!.uid}`,
        `--regid=${user!.gid}`,
        "--clear-groups",
        "sh",
        "-c",
        "sleep 60; :",
        "serve",
      ],
      stdin: "null",
    }).spawn();
    let dirs: string[] = [];
    try {
      let command: string[] = [];
      for (let i = 0; i < 50 && !command.includes("serve"); i++) {
        await new Promise((r) => setTimeout(r, 20));
        command = await commandOf(launcher.pid);
      }
      const start = (await processStart(launcher.pid))!;
      const link = join(userBox.home, "log-link");
      await shAsUser(`ln -s /etc/shadow "$1"`, link);
      for (
        const [logPath, why] of [["/etc/shadow", "belongs to uid 0"], [link, "is a symbolic link"]]
      ) {
        dirs = await plantRecord(
          userBox,
          name,
          recordFor(name, launcher.pid, start, command, logPath),
        );
        const logs: CliResult = await runCli(userBox, ["gateway", "logs", name]);
        assert.equal(logs.code, 1, logs.stderr);
        assert.equal(logs.stdout, "", "nothing of the file was printed");
        assert.match(logs.stderr, new RegExp(`^error: Cannot read "${logPath}": ${why}`, "m"));
      }
    } finally {
      launcher.kill("SIGKILL");
      await launcher.status;
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "rootless serve --detach: the log is out of the container's reach; a link it plants is never read",
  ignore: !isRoot || !user || !runc,
  async fn() {
    await using userBox = await createServeSandbox(user!);
    const name = uniqueGatewayName("inlink");
    const secret = join(userBox.home, "secret.txt");
    await shAsUser(`printf 'the user secret\\n' >"$1"`, secret);
    const served = await asTestUser(userBox, [
      "serve",
      "-d",
      "--name",
      name,
      "--listen",
      `127.0.0.1:${freePort()}`,
      "--runtime",
      "runc",
    ]);
    try {
      assert.equal(served.code, 0, served.stderr);
      const logPath = /^Log: (\S+)/m.exec(served.stderr)![1]!;
      const containerId = /\(container (\S+)\)$/m.exec(served.stderr)![1]!;
      // From inside the container: what its state dir holds, and links where a log was.
      const inside = await evalInContainer(
        { sandbox: userBox, runtime: "runc", containerId, user: TEST_USER },
        `for (const n of ["gateway.log", "gateway.log.1"]) {
           try { Deno.removeSync("/var/lib/openshell/" + n); } catch { /* none */ }
           Deno.symlinkSync(${JSON.stringify(secret)}, "/var/lib/openshell/" + n);
         }
         console.log(JSON.stringify([...Deno.readDirSync("/var/lib/openshell")].map((e) => e.name).sort()));`,
      );
      assert.ok(inside.success, inside.stderr);
      assert.deepEqual(
        JSON.parse(inside.stdout),
        ["gateway.log", "gateway.log.1", "gateway_state.json"],
        "its state and its links, no log",
      );
      const logs = await asTestUser(userBox, ["gateway", "logs", name]);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, /"msg":"Listening"/);
      assert.doesNotMatch(logs.stdout, /the user secret/);
      const stateDir = join(userBox.state, "openshell/gateways", name);
      assert.ok(!logPath.startsWith(`${stateDir}/`), `${logPath} is outside the state dir`);
      const stopped = await asTestUser(userBox, ["gateway", "stop", name]);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.equal(
        await Deno.readTextFile(secret),
        "the user secret\n",
        "the linked file is untouched",
      );
      await assertNothingLeft(userBox, name);
    } finally {
      await asTestUser(userBox, ["gateway", "stop", name]);
    }
  },
});

Deno.test({
  name:
    "a full disk under a gateway's log, detached or in the foreground, costs log lines, never the service; the count is told",
  ignore: !isRoot || !youki,
  async fn() {
    await using sandbox = await createServeSandbox();
    const [name, front] = [uniqueGatewayName("full"), uniqueGatewayName("fullfg")];
    const logs = join(sandbox.state, "openshell/logs");
    await Deno.mkdir(logs, { recursive: true });
    const sbin = { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" };
    const mount = await runCommand(
      ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", logs],
      { env: sbin },
    );
    assert.equal(mount.code, 0, mount.stderr);
    const [port, frontPort] = [freePort(), freePort()];
    try {
      const served = await runCli(sandbox, [
        "serve",
        "--auth",
        "token",
        "-d",
        "--name",
        name,
        "--listen",
        `127.0.0.1:${port}`,
      ]);
      assert.equal(served.code, 0, served.stderr);
      const logPath = /^Log: (\S+)/m.exec(served.stderr)![1]!;
      // A foreground gateway whose stdout is a file on the same disk.
      const frontLog = join(logs, "foreground.out");
      await using foreground = startServe(
        sandbox,
        ["--auth", "token", "--name", front, "--listen", `127.0.0.1:${frontPort}`],
        { prelude: `exec >'${frontLog}'` },
      );
      await foreground.ready();
      // Fill the disk under both logs.
      const filler = join(logs, "filler");
      await runCommand(["dd", "if=/dev/zero", `of=${filler}`, "bs=4096"], { env: sbin });
      const tokenOf = async (gateway: string) =>
        (await Deno.readTextFile(join(sandbox.config, "openshell/gateways", gateway, "token")))
          .trim();
      const request = async (at: number, auth: string) => {
        const response = await fetch(`http://127.0.0.1:${at}/v1/info`, {
          headers: { authorization: `Bearer ${auth}` },
        });
        await response.body?.cancel();
        return response.status;
      };
      const gateways = [[port, await tokenOf(name)], [frontPort, await tokenOf(front)]] as const;
      for (const [at, token] of gateways) {
        for (let i = 0; i < 100; i++) assert.equal(await request(at, token), 200);
        for (let i = 0; i < 20; i++) assert.equal(await request(at, "wrong"), 401);
      }
      // The rejection summary is written when its interval (10 s) ends.
      await new Promise((r) => setTimeout(r, 10_500));
      for (const [at, token] of gateways) {
        assert.equal(await request(at, token), 200, "the gateway still serves");
      }
      await Deno.remove(filler);
      for (const [at, token] of gateways) assert.equal(await request(at, token), 200);
      const settled = async (path: string) => {
        let text = "";
        for (let i = 0; i < 50 && !/"path":"\/v1\/info".*\n$/.test(text); i++) {
          await new Promise((r) => setTimeout(r, 100));
          text = await Deno.readTextFile(path);
        }
        return text;
      };
      const text = await settled(logPath);
      const dropped =
        /^openshell: (\d+) log line\(s\) could not be written \(no space left on device\) and were dropped$/m
          .exec(text);
      assert.ok(dropped, text.slice(-2000));
      assert.ok(Number(dropped[1]) >= 50, `${dropped[1]} lines counted`);
      const frontText = await settled(frontLog);
      const told = /^\{.*"msg":"Log lines dropped","count":(\d+),"reason":"No space left on device/m
        .exec(frontText);
      assert.ok(told, frontText.slice(-2000));
      assert.ok(Number(told[1]) >= 50, `${told[1]} lines counted`);
      const stop = await runCli(sandbox, ["gateway", "stop", name]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal((await foreground.stop()).code, 0);
      await assertNothingLeft(sandbox, name);
      await assertNothingLeft(sandbox, front);
    } finally {
      await runCli(sandbox, ["gateway", "stop", name]);
      await runCommand(["umount", "-l", logs], { env: sbin });
    }
  },
});
