import assert from "node:assert/strict";
import { join } from "node:path";
import { formatUptime } from "../src/cli/_gateway_served.ts";
import { servedRecordFor } from "./_helpers/served_record_fixture.ts";
import {
  followLog,
  gatewayLogPath,
  LOG_MAX_BYTES,
  logMaxBytes,
  readLogTail,
  rotatedLogPath,
  rotateLogIfLarge,
} from "../src/serve/gateway_log_file.ts";
import {
  journalCommand,
  readServedRecord,
  systemdUnit,
  writeServedRecord,
} from "../src/serve/served_record.ts";

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "openshell-log-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

Deno.test("log path: beside the state for users, in a root-only logs dir for root", () => {
  const env = (n: string) => ({ XDG_STATE_HOME: "/s", HOME: "/h" } as Record<string, string>)[n];
  assert.equal(gatewayLogPath(env, 1000, "dev"), "/s/openshell/gateways/dev/gateway.log");
  assert.equal(gatewayLogPath(env, 0, "dev"), "/s/openshell/logs/dev/gateway.log");
  assert.equal(
    gatewayLogPath(() => undefined, 0, "dev"),
    "/var/lib/openshell/logs/dev/gateway.log",
  );
});

Deno.test("rotation: past the cap the content moves to .1 and an appending writer goes on", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "gateway.log");
  using writer = await Deno.open(path, { append: true, create: true });
  const write = (text: string) => writer.write(new TextEncoder().encode(text));
  await write("one\ntwo\n");
  assert.equal(await rotateLogIfLarge(path, 100), false);
  await write("x".repeat(100) + "\n");
  assert.equal(await rotateLogIfLarge(path, 100), true);
  assert.equal(await Deno.readTextFile(path), "");
  assert.equal(
    await Deno.readTextFile(rotatedLogPath(path)),
    "one\ntwo\n" + "x".repeat(100) + "\n",
  );
  await write("three\n");
  assert.equal(await Deno.readTextFile(path), "three\n", "the writer continues at the new end");
  assert.equal(await readLogTail(path, 2), "x".repeat(100) + "\nthree\n");
  assert.equal(await readLogTail(path, 1), "three\n");
  assert.equal(await readLogTail(path, 0), "");
  assert.equal(await readLogTail(path), "one\ntwo\n" + "x".repeat(100) + "\nthree\n");
  await write("y".repeat(200) + "\n");
  assert.equal(await rotateLogIfLarge(path, 100), true);
  assert.equal(await Deno.readTextFile(rotatedLogPath(path)), "three\n" + "y".repeat(200) + "\n");
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(dir.path))).map((e) => e.name).sort(),
    ["gateway.log", "gateway.log.1"],
    "one rotation kept, no temp file left",
  );
});

Deno.test("follow: new lines as they come, across a rotation, until aborted", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "gateway.log");
  using writer = await Deno.open(path, { append: true, create: true });
  const write = (text: string) => writer.write(new TextEncoder().encode(text));
  await write("old\n");
  let seen = "";
  const stop = new AbortController();
  const decoder = new TextDecoder();
  const following = followLog(
    path,
    4,
    (chunk) => void (seen += decoder.decode(chunk)),
    stop.signal,
    20,
  );
  const until = async (text: string) => {
    for (let i = 0; i < 200 && !seen.endsWith(text); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(seen.endsWith(text), `saw ${JSON.stringify(seen)}`);
  };
  await write("a\n");
  await until("a\n");
  // Written just before the rotation and not yet read: found again in the rotated copy.
  await write("b\n" + "z".repeat(50) + "\n");
  await rotateLogIfLarge(path, 10);
  await write("c\n");
  await until("c\n");
  stop.abort();
  await following;
  assert.equal(seen, "a\nb\n" + "z".repeat(50) + "\nc\n");
});

Deno.test("served record: read back only while its launcher runs", async () => {
  await using dir = await tempDir();
  const record = await servedRecordFor(Deno.pid);
  await writeServedRecord(dir.path, record);
  assert.deepEqual(await readServedRecord(dir.path), record);
  await writeServedRecord(dir.path, { ...record, pidStart: record.pidStart - 1 });
  assert.equal(await readServedRecord(dir.path), undefined, "a reused pid is not the launcher");
  await Deno.writeTextFile(join(dir.path, "served.json"), "{");
  assert.equal(await readServedRecord(dir.path), undefined);
});

Deno.test("systemd unit: from the cgroup path, only with INVOCATION_ID, system or user", () => {
  const table =
    "12:memory:/system.slice/openshell-gateway@local.service\n0::/system.slice/openshell-gateway@local.service\n";
  assert.deepEqual(systemdUnit(table, "abc"), {
    name: "openshell-gateway@local.service",
    scope: "system",
  });
  assert.equal(systemdUnit(table, undefined), null);
  assert.equal(systemdUnit("0::/user.slice/user-1000.slice/session-2.scope\n", "abc"), null);
  assert.deepEqual(
    systemdUnit(
      "0::/user.slice/user-1000.slice/user@1000.service/app.slice/openshell-gateway@x.service\n",
      "abc",
    ),
    { name: "openshell-gateway@x.service", scope: "user" },
  );
  // Root has a user manager too (user@0.service): its units are user units.
  assert.deepEqual(
    systemdUnit("0::/user.slice/user-0.slice/user@0.service/app.slice/run-u7.service\n", "abc"),
    { name: "run-u7.service", scope: "user" },
  );
});

Deno.test("the journalctl command for a gateway's unit, for the user who reads it", () => {
  const unit = "openshell-gateway@dev.service";
  const user = { unit, unitScope: "user" as const, uid: 1000 };
  assert.equal(journalCommand(user, 1000), `journalctl --user -u ${unit}`);
  assert.equal(journalCommand(user, 0), `journalctl _UID=1000 --user-unit ${unit}`);
  const system = { unit, unitScope: "system" as const, uid: 0 };
  assert.equal(journalCommand(system, 0), `journalctl -u ${unit}`);
  assert.equal(journalCommand({ ...system, unit: null, unitScope: null }, 0), undefined);
  // A record written before the scope was kept: root's gateways came from the system manager.
  assert.equal(journalCommand({ unit, unitScope: null, uid: 0 }, 0), `journalctl -u ${unit}`);
  assert.equal(
    journalCommand({ ...user, unit: "a b.service" }, 1000),
    "journalctl --user -u 'a b.service'",
  );
});

Deno.test("uptime in the two largest units", () => {
  assert.equal(formatUptime(0), "0s");
  assert.equal(formatUptime(59_999), "59s");
  assert.equal(formatUptime(61_000), "1m 1s");
  assert.equal(formatUptime(3_723_000), "1h 2m");
  assert.equal(formatUptime(90_000_000), "1d 1h");
  assert.equal(formatUptime(-5), "0s");
});

Deno.test("rotation size: OPENSHELL_LOG_MAX_BYTES when a positive whole number", () => {
  const size = (value: string | undefined) =>
    logMaxBytes((n) => (n === "OPENSHELL_LOG_MAX_BYTES" ? value : undefined));
  assert.equal(size("4096"), 4096);
  assert.equal(size(" 100 "), 100);
  for (const bad of [undefined, "", "0", "-5", "1e6", "10M", "abc"]) {
    assert.equal(size(bad), LOG_MAX_BYTES, String(bad));
  }
});
