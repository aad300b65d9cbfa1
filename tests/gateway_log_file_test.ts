import assert from "node:assert/strict";
import { join } from "node:path";
import { formatUptime } from "../src/cli/_gateway_served.ts";
import { servedRecordFor } from "./_helpers/served_record_fixture.ts";
import {
  followLog,
  gatewayLogPath,
  LOG_MAX_BYTES,
  logMaxBytes,
  openLog,
  openLogWriter,
  rotatedLogPath,
} from "../src/serve/gateway_log_file.ts";
import {
  journalCommand,
  readServedRecord,
  systemctlCommand,
  systemdUnit,
  writeServedRecord,
} from "../src/serve/served_record.ts";
import { tempDir } from "./_helpers/temp_dir.ts";

Deno.test("log path: in a logs dir outside the state dir the container writes", () => {
  const env = (n: string) => ({ XDG_STATE_HOME: "/s", HOME: "/h" } as Record<string, string>)[n];
  assert.equal(gatewayLogPath(env, 1000, "dev"), "/s/openshell/logs/dev/gateway.log");
  assert.equal(gatewayLogPath(env, 0, "dev"), "/s/openshell/logs/dev/gateway.log");
  assert.equal(
    gatewayLogPath(() => undefined, 0, "dev"),
    "/var/lib/openshell/logs/dev/gateway.log",
  );
  assert.equal(logMaxBytes(() => "4096"), 4096);
  assert.equal(logMaxBytes(() => "0"), LOG_MAX_BYTES);
});

const encode = (text: string) => new TextEncoder().encode(text);
const uid = Deno.uid()!;

Deno.test("writer: rotates before a write would pass the cap, at a line end", async () => {
  await using dir = await tempDir("openshell-log-");
  const path = join(dir.path, "gateway.log");
  using log = openLogWriter(path, 100);
  log.write(encode("one\ntwo\n"));
  log.write(encode("x".repeat(95) + "\n"));
  assert.equal(await Deno.readTextFile(rotatedLogPath(path)), "one\ntwo\n");
  assert.equal(await Deno.readTextFile(path), "x".repeat(95) + "\n");
  // Many lines in one chunk: each file stays within the cap, no line is lost.
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join("");
  log.write(encode(lines));
  for (const file of [path, rotatedLogPath(path)]) {
    assert.ok((await Deno.stat(file)).size <= 100, file);
  }
  const kept = await Deno.readTextFile(rotatedLogPath(path)) + await Deno.readTextFile(path);
  assert.ok(lines.endsWith(kept), "the newest lines are kept whole and in order");
  // A line longer than the cap is cut, not written past it.
  log.write(encode("y".repeat(250) + "\n"));
  assert.ok((await Deno.stat(path)).size <= 100);
  assert.deepEqual(
    (await Array.fromAsync(Deno.readDir(dir.path))).map((e) => e.name).sort(),
    ["gateway.log", "gateway.log.1"],
    "one rotation kept",
  );
});

Deno.test("reading: the last lines, the rotated part first; follow across rotations until stopped", async () => {
  await using dir = await tempDir("openshell-log-");
  const path = join(dir.path, "gateway.log");
  using log = openLogWriter(path, 30);
  log.write(encode("a1\na2\na3\n"));
  log.write(encode("b".repeat(10) + "\n"));
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  assert.equal(text((await openLog(path, uid, 2)).tail), "a3\n" + "b".repeat(10) + "\n");
  assert.equal(text((await openLog(path, uid, 1)).tail), "b".repeat(10) + "\n");
  assert.equal(text((await openLog(path, uid, 0)).tail), "");
  const opened = await openLog(path, uid);
  assert.equal(text(opened.tail), "a1\na2\na3\n" + "b".repeat(10) + "\n");
  let seen = "";
  let serving = true;
  const stop = new AbortController();
  const following = followLog(
    opened,
    (chunk) => void (seen += text(chunk)),
    stop.signal,
    () => Promise.resolve(serving),
    5,
  );
  // Two rotations at once: the rest of the file being read (renamed, then replaced as the
  // rotated part), the rotated part, then the new file.
  const more = Array.from({ length: 16 }, (_, i) => `c${i}\n`).join("");
  log.write(encode(more));
  for (let i = 0; i < 200 && seen !== more; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(seen, more);
  serving = false; // the gateway stopped: following ends by itself
  await following;
  assert.equal(stop.signal.aborted, false);
});

Deno.test("reading refuses a link, a device and a file of another owner", async () => {
  await using dir = await tempDir("openshell-log-");
  const path = join(dir.path, "gateway.log");
  await Deno.symlink("/etc/hostname", path);
  await assert.rejects(openLog(path, uid), /is a symbolic link/);
  await Deno.remove(path);
  await Deno.symlink("/dev/zero", rotatedLogPath(path));
  await assert.rejects(openLog(path, uid), /is a symbolic link/);
  await Deno.remove(rotatedLogPath(path));
  await Deno.writeTextFile(path, "mine\n");
  await assert.rejects(openLog(path, uid + 1), new RegExp(`belongs to uid ${uid}, not ${uid + 1}`));
});

Deno.test("served record: read back only while its launcher runs", async () => {
  await using dir = await tempDir("openshell-log-");
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

Deno.test("the systemctl command that stops a gateway's unit, for the user who types it", () => {
  const unit = "openshell-gateway@dev.service";
  const user = { unit, unitScope: "user" as const, uid: 1000 };
  assert.equal(systemctlCommand(user, 1000, "stop", "alice"), `systemctl --user stop ${unit}`);
  const asAlice = "runuser -u alice -- env XDG_RUNTIME_DIR=/run/user/1000 systemctl --user";
  assert.equal(systemctlCommand(user, 0, "stop", "alice"), `${asAlice} stop ${unit}`);
  assert.equal(
    systemctlCommand(user, 0, "stop", undefined),
    `runuser -u '#1000' -- env XDG_RUNTIME_DIR=/run/user/1000 systemctl --user stop ${unit}`,
  );
  const system = { unit, unitScope: "system" as const, uid: 0 };
  assert.equal(systemctlCommand(system, 0, "stop", "root"), `systemctl stop ${unit}`);
  assert.equal(systemctlCommand(system, 1000, "start", "root"), `sudo systemctl start ${unit}`);
  assert.equal(systemctlCommand({ ...system, unit: null }, 0, "stop", "root"), undefined);
  // A record written before the scope was kept: root's gateways came from the system manager.
  assert.equal(
    systemctlCommand({ unit, unitScope: null, uid: 0 }, 0, "stop", "root"),
    `systemctl stop ${unit}`,
  );
  assert.equal(
    systemctlCommand({ ...user, unit: "a b.service" }, 1000, "stop", "alice"),
    "systemctl --user stop 'a b.service'",
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
