/**
 * The Debian package's service under a real systemd: a cached debootstrap'd bookworm root is
 * booted with systemd-nspawn (on an overlay, so each run starts clean), the .deb is installed
 * with dpkg alone and no network, and openshell-gateway@ is started, killed, restarted and
 * stopped as systemd does it, for the system and for an ordinary user's session.
 *
 * A fresh bookworm boots with the unified cgroup hierarchy, and the container is booted the
 * same way. Left to itself on a hybrid (v1 + v2) host, nspawn gives the container the host's
 * v1 controllers read-only, where neither youki nor runc can create a container's cgroup.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CommandResult } from "./_helpers/run_command.ts";
import { buildSourceDeb, cachedDebianRoot, overlayRoot, runHost } from "./_helpers/debian_root.ts";

const IS_ROOT = Deno.uid() === 0;
const HAS_NSPAWN = existsSync("/usr/bin/systemd-nspawn");
const PACKAGES = ["systemd", "systemd-sysv", "dbus", "libpam-systemd", "curl", "ca-certificates"];

if (!IS_ROOT || !HAS_NSPAWN) {
  console.error("deb service test: needs root and systemd-nspawn (scripts/setup.sh --test)");
}

/** A booted container: run commands in it; SIGTERM to nspawn (by pid) and cleanup on dispose. */
interface Booted extends AsyncDisposable {
  root: string;
  run(args: string[], options?: { user?: string }): Promise<CommandResult>;
  must(args: string[], options?: { user?: string }): Promise<string>;
}

async function boot(): Promise<Booted> {
  const overlay = await overlayRoot(await cachedDebianRoot("bookworm-systemd", PACKAGES));
  const nspawn = new Deno.Command("systemd-nspawn", {
    args: ["-q", "--register=no", "--keep-unit", "-D", overlay.root, "-b"],
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      nspawn.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        nspawn.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 20_000);
    await nspawn.status;
    clearTimeout(timer);
    await overlay[Symbol.asyncDispose]();
  };
  let leader = "";
  const run = (args: string[], options: { user?: string } = {}) => {
    const inside = options.user === undefined ? args : [
      "runuser",
      "-u",
      options.user,
      "--",
      ...args,
    ];
    return runHost("nsenter", ["-t", leader, "-a", "--", "env", "-i", ...ENV, ...inside]);
  };
  const must = async (args: string[], options: { user?: string } = {}) => {
    const result = await run(args, options);
    assert.equal(result.code, 0, `${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const children = await Deno.readTextFile(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`)
        .catch(() => "");
      leader = children.trim().split(/\s+/)[0] ?? "";
      if (leader !== "") {
        const state = (await run(["systemctl", "is-system-running"])).stdout.trim();
        if (state === "running" || state === "degraded") break;
      }
      if (Date.now() > deadline) throw new Error("the container did not boot within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { root: overlay.root, run, must, [Symbol.asyncDispose]: stop };
}

const ENV = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "NO_COLOR=1", "LC_ALL=C"];

/** A TCP port nothing listens on right now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Polls `GET /healthz` until it answers 200; the elapsed milliseconds. */
async function healthy(port: number, withinMs: number): Promise<number> {
  const start = Date.now();
  let last = "no answer";
  while (Date.now() - start < withinMs) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
        signal: AbortSignal.timeout(1000),
      });
      await response.body?.cancel();
      if (response.status === 200) return Date.now() - start;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no healthy answer on port ${port} within ${withinMs} ms: ${last}`);
}

async function unitProps(
  box: Booted,
  unit: string,
  options: { user?: string; uid?: number } = {},
): Promise<Record<string, string>> {
  const scope = options.user === undefined
    ? ["systemctl"]
    : ["env", `XDG_RUNTIME_DIR=/run/user/${options.uid}`, "systemctl", "--user"];
  const text = await box.must([
    ...scope,
    "show",
    "-p",
    "ActiveState",
    "-p",
    "SubState",
    "-p",
    "Result",
    "-p",
    "MainPID",
    "-p",
    "NRestarts",
    unit,
  ], options.user === undefined ? {} : { user: options.user });
  return Object.fromEntries(
    text.trim().split("\n").map((
      line,
    ) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
}

async function waitFor(what: string, check: () => Promise<boolean>, withinMs = 30_000) {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

Deno.test({
  name: "the package's service runs under systemd: start, restart after SIGKILL, stop, user unit",
  ignore: !IS_ROOT || !HAS_NSPAWN,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const out = await Deno.makeTempDir({ prefix: "openshell-deb-out-" });
    try {
      const deb = await buildSourceDeb(out);
      await using box = await boot();
      await Deno.copyFile(deb, join(box.root, "var/tmp/openshell.deb"));
      const port = freePort();
      const unit = "openshell-gateway@local.service";

      await t.step("dpkg -i alone installs it, with no network", async () => {
        await box.must(["unshare", "-n", "dpkg", "-i", "/var/tmp/openshell.deb"]);
        // The packaged system gateway is moved to a free port, as an admin edits a conffile.
        const metadata = join(box.root, "etc/openshell/gateways/openshell/metadata.json");
        const text = await Deno.readTextFile(metadata);
        await Deno.writeTextFile(metadata, text.replaceAll("8090", String(port)));
        await Deno.writeTextFile(
          join(box.root, "etc/default/openshell-gateway-local"),
          `OPENSHELL_SERVE_ARGS=--listen 127.0.0.1:${port}\n`,
        );
      });

      await t.step("systemctl start: healthy within 60 s, the system gateway active", async () => {
        await box.must(["systemctl", "start", unit]);
        await healthy(port, 60_000);
        const rows = JSON.parse(await box.must(["openshell", "gateway", "list", "-o", "json"]));
        const system = rows.find((r: { name: string }) => r.name === "openshell");
        assert.deepEqual(
          [system?.source, system?.active, system?.endpoint],
          ["system", true, `http://127.0.0.1:${port}`],
        );
        // The runtime is the package's own, not one on PATH.
        const status = await box.must(["systemctl", "status", "--no-pager", "-l", unit]);
        assert.match(status, /\/usr\/libexec\/openshell\/youki /);
      });

      await t.step(
        "SIGKILL of the main process: systemd restarts it and it serves again",
        async () => {
          const before = await unitProps(box, unit);
          await box.must(["systemctl", "kill", "-s", "KILL", "--kill-whom=main", unit]);
          await waitFor("the restart", async () => {
            const now = await unitProps(box, unit);
            return now.ActiveState === "active" && now.MainPID !== "0" &&
              now.MainPID !== before.MainPID;
          });
          assert.equal((await unitProps(box, unit)).NRestarts, "1");
          await healthy(port, 60_000);
        },
      );

      await t.step("systemctl stop: inactive, not failed, nothing left", async () => {
        await box.must(["systemctl", "stop", unit]);
        const props = await unitProps(box, unit);
        assert.deepEqual([props.ActiveState, props.Result], ["inactive", "success"]);
        // /run is the container's own tmpfs: looked at from inside.
        const left = await box.must([
          "find",
          "/run/openshell/bundles",
          "/run/openshell/oci",
          "/sys/fs/cgroup",
          "-mindepth",
          "1",
          "(",
          "-path",
          "/run/openshell/bundles/*",
          "-o",
          "-path",
          "/run/openshell/oci/*/*",
          "-o",
          "-name",
          "openshell-local-*",
          ")",
          "-print",
        ]);
        assert.equal(left.trim(), "", "bundles, container state or cgroups are left behind");
      });

      await t.step("a gateway that cannot start is given up after the start limit", async () => {
        const starts = async () =>
          (await box.must(["journalctl", "-u", unit, "-o", "cat"])).split("\n")
            .filter((line) => line.startsWith("Started ")).length;
        const before = await starts();
        // The port is taken on the host, whose network the container shares: serve exits 1.
        const taken = Deno.listen({ hostname: "127.0.0.1", port });
        try {
          await box.must(["systemctl", "start", unit]);
          await waitFor("the start limit", async () => {
            return (await unitProps(box, unit)).ActiveState === "failed";
          }, 90_000);
          await new Promise((resolve) => setTimeout(resolve, 5000)); // > RestartSec: no retry
          assert.equal((await unitProps(box, unit)).ActiveState, "failed");
          assert.equal(await starts() - before, 5, "StartLimitBurst=5");
          const journal = await box.must(["journalctl", "-u", unit, "-o", "cat"]);
          assert.match(journal, /Start request repeated too quickly/);
        } finally {
          taken.close();
        }
        await box.must(["systemctl", "reset-failed", unit]);
      });

      await t.step("bad arguments (exit 2) are not retried", async () => {
        const defaults = join(box.root, "etc/default/openshell-gateway-local");
        const good = await Deno.readTextFile(defaults);
        // Ports below 1024 are refused as a usage error.
        await Deno.writeTextFile(defaults, "OPENSHELL_SERVE_ARGS=--listen 127.0.0.1:80\n");
        await box.run(["systemctl", "start", unit]);
        await waitFor(
          "the failure",
          async () => (await unitProps(box, unit)).ActiveState === "failed",
        );
        const props = await unitProps(box, unit);
        assert.deepEqual([props.Result, props.NRestarts], ["exit-code", "0"]);
        await box.must(["systemctl", "reset-failed", unit]);
        await Deno.writeTextFile(defaults, good);
      });

      await t.step("the user unit runs for an ordinary user with lingering", async () => {
        await box.must(["useradd", "--create-home", "--shell", "/bin/sh", "alice"]);
        const uid = Number((await box.must(["id", "-u", "alice"])).trim());
        await box.must(["loginctl", "enable-linger", "alice"]);
        await waitFor("alice's user manager", async () => {
          const state = await box.run(["systemctl", "is-active", `user@${uid}.service`]);
          return state.stdout.trim() === "active";
        });
        const userPort = freePort();
        await box.must(["mkdir", "-p", "/home/alice/.config/openshell"], { user: "alice" });
        await Deno.writeTextFile(
          join(box.root, "home/alice/.config/openshell/gateway-dev.env"),
          // Plaintext, so that the check below can use plain HTTP.
          `OPENSHELL_SERVE_ARGS=--auth token --listen 127.0.0.1:${userPort}\n`,
        );
        const userctl = ["env", `XDG_RUNTIME_DIR=/run/user/${uid}`, "systemctl", "--user"];
        await box.must([...userctl, "start", "openshell-gateway@dev"], { user: "alice" });
        await healthy(userPort, 60_000);
        await box.must([...userctl, "stop", "openshell-gateway@dev"], { user: "alice" });
        const props = await unitProps(box, "openshell-gateway@dev", { user: "alice", uid });
        assert.deepEqual([props.ActiveState, props.Result], ["inactive", "success"]);
      });

      await t.step("dpkg --purge removes the service's cache and state", async () => {
        assert.ok(existsSync(join(box.root, "var/cache/openshell/rootfs")));
        assert.ok(existsSync(join(box.root, "var/lib/openshell/gateways/local")));
        await box.must(["dpkg", "--purge", "openshell"]);
        for (
          const dir of [
            "/var/cache/openshell",
            "/var/lib/openshell",
            "/etc/openshell",
            "/run/openshell",
          ]
        ) {
          assert.equal((await box.run(["test", "-e", dir])).code, 1, `${dir} is left behind`);
        }
      });
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
