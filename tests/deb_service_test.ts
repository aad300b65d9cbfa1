/**
 * The Debian package's service under a real systemd: a cached debootstrap'd bookworm root is
 * booted with systemd-nspawn (on an overlay, so each run starts clean), the .deb is installed
 * with dpkg alone and no network, and openshell-gateway@ is started, killed, restarted,
 * upgraded and stopped as systemd does it, for the system and for an ordinary user's session;
 * then the package is removed and purged.
 *
 * A fresh bookworm boots with the unified cgroup hierarchy, and the container is booted the
 * same way. Left to itself on a hybrid (v1 + v2) host, nspawn gives the container the host's
 * v1 controllers read-only, where neither youki nor runc can create a container's cgroup.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { bootDebianRoot, type BootedRoot, buildSourceDeb } from "./_helpers/debian_root.ts";
import { freePort } from "./_helpers/loopback.ts";

const IS_ROOT = Deno.uid() === 0;
const HAS_NSPAWN = existsSync("/usr/bin/systemd-nspawn");

if (!IS_ROOT || !HAS_NSPAWN) {
  console.error("deb service test: needs root and systemd-nspawn (scripts/setup.sh --test)");
}

/** A TCP port nothing listens on right now. */
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
  box: BootedRoot,
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

/** The main process's executable; " (deleted)" once dpkg replaced the file it ran from. */
async function mainExe(box: BootedRoot, unit: string): Promise<string> {
  const pid = (await unitProps(box, unit)).MainPID;
  return (await box.must(["readlink", `/proc/${pid}/exe`])).trim();
}

Deno.test({
  name:
    "the package under systemd: ready when started, restarted on upgrade, stopped on removal, gone on purge",
  ignore: !IS_ROOT || !HAS_NSPAWN,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const out = await Deno.makeTempDir({ prefix: "openshell-deb-out-" });
    try {
      const deb = await buildSourceDeb(out);
      const next = await buildSourceDeb(out, "--version", `${denoJson.version}+1`);
      await using box = await bootDebianRoot({ unified: true, forPackage: true });
      await Deno.copyFile(deb, join(box.root, "var/tmp/openshell.deb"));
      await Deno.copyFile(next, join(box.root, "var/tmp/openshell-next.deb"));
      const before = await box.must(["find", "/etc", "/usr", "/var/lib", "-xdev"]);
      const port = freePort();
      const unit = "openshell-gateway@local.service";
      const userctl = (uid: number) => [
        "env",
        `XDG_RUNTIME_DIR=/run/user/${uid}`,
        "systemctl",
        "--user",
      ];

      await t.step("dpkg -i alone installs it, with no network", async () => {
        await box.must(["unshare", "-n", "dpkg", "-i", "/var/tmp/openshell.deb"]);
        // The packaged system gateway is moved to a free port, as an admin edits a conffile.
        const metadata = join(box.root, "etc/openshell/gateways/local/metadata.json");
        const text = await Deno.readTextFile(metadata);
        await Deno.writeTextFile(metadata, text.replaceAll("8090", String(port)));
        await Deno.writeTextFile(
          join(box.root, "etc/default/openshell-gateway-local"),
          `OPENSHELL_SERVE_ARGS=--listen 127.0.0.1:${port}\n`,
        );
      });

      await t.step("systemctl start returns once the gateway answers (Type=notify)", async () => {
        await box.must(["systemctl", "enable", "--now", unit]);
        // No waiting: the start job completed only when serve said READY=1.
        await healthy(port, 1000);
        const rows = JSON.parse(await box.must(["openshell", "gateway", "list", "-o", "json"]));
        const system = rows.find((r: { name: string }) => r.name === "local");
        assert.deepEqual(
          [system?.source, system?.active, system?.endpoint],
          ["system", true, `http://127.0.0.1:${port}`],
        );
        // The runtime is the package's own, not one on PATH.
        const info = await box.must(["openshell", "gateway", "info", "local"]);
        assert.match(info, /^runtime: +youki \(\/usr\/libexec\/openshell\/youki\)$/m);
        const status = await box.must(["systemctl", "status", "--no-pager", "-l", unit]);
        assert.match(status, new RegExp(`Status: "Gateway "local" is ready at `));
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
          await healthy(port, 1000);
        },
      );

      await t.step("an upgrade restarts the running service on the new program", async () => {
        const registry = "/var/lib/openshell/config/openshell/gateways/local";
        const token = await box.must(["cat", `${registry}/token`]);
        const old = await unitProps(box, unit);
        await box.must(["unshare", "-n", "dpkg", "-i", "/var/tmp/openshell-next.deb"]);
        const now = await unitProps(box, unit);
        assert.equal(now.ActiveState, "active");
        assert.notEqual(now.MainPID, old.MainPID, "the service was not restarted");
        assert.equal(await mainExe(box, unit), "/usr/lib/openshell/deno");
        const version = await box.must(["dpkg-query", "-W", "-f", "${Version}", "openshell"]);
        assert.equal(version, `${denoJson.version}+1`);
        await healthy(port, 1000);
        // The service's registry (its registration and API token) is kept.
        assert.equal(await box.must(["cat", `${registry}/token`]), token);
        // Reinstalling the same version restarts it too.
        await box.must(["unshare", "-n", "dpkg", "-i", "/var/tmp/openshell-next.deb"]);
        assert.notEqual((await unitProps(box, unit)).MainPID, now.MainPID);
        await healthy(port, 1000);
      });

      await t.step(
        "one name: info, logs and the status hint answer to the instance's",
        async () => {
          const info = await box.must(["openshell", "gateway", "info", "local"]);
          assert.match(info, /source: +system/);
          assert.match(info, /served: +here, launcher pid \d+ in openshell-gateway@local\.service/);
          // gateway list says the same of it.
          const listed = JSON.parse(
            await box.must(["openshell", "gateway", "list", "-o", "json"]),
          ) as { name: string; served: boolean }[];
          assert.equal(listed.find((entry) => entry.name === "local")?.served, true);
          assert.match(
            info,
            /token: +\/var\/lib\/openshell\/config\/openshell\/gateways\/local\/token/,
          );
          // Its log is the journal's, and the hint's command shows it.
          const logs = await box.run(["openshell", "gateway", "logs", "local"]);
          assert.match(logs.stderr, /`journalctl -u openshell-gateway@local\.service`/);
          const journal = await box.must(["journalctl", "-u", "openshell-gateway@local.service"]);
          assert.match(journal, /Gateway "local" is ready at /);
          await box.must(["systemctl", "stop", unit]);
          const down = await box.run(["openshell", "status"]);
          assert.equal(down.code, 1, down.stderr);
          assert.match(
            down.stderr,
            /^hint: .*`systemctl start openshell-gateway@local` starts its service/m,
          );
          await box.must(["systemctl", "start", "openshell-gateway@local"]);
          assert.equal((await box.run(["openshell", "status"])).code, 0);
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

      await t.step(
        "a gateway that cannot start fails its start, the reason in its status",
        async () => {
          const starts = async () =>
            (await box.must(["journalctl", "-u", unit, "-o", "cat"])).split("\n")
              .filter((line) => line.startsWith("Starting ")).length;
          // The start limit counts from here, not the starts of the steps before.
          await box.must(["systemctl", "reset-failed", unit]);
          const before = await starts();
          // The port is taken on the host, whose network the container shares: serve exits 1.
          const taken = Deno.listen({ hostname: "127.0.0.1", port });
          try {
            const start = await box.run(["systemctl", "start", unit]);
            assert.notEqual(start.code, 0, "systemctl start reported success");
            assert.match(start.stderr, /failed/);
            // serve's own error line is in the status (once the journal has it).
            let status = "";
            await waitFor("the reason in systemctl status", async () => {
              status = (await box.run(["systemctl", "status", "--no-pager", "-l", unit])).stdout;
              return /error: /.test(status);
            }, 10_000).catch(() => assert.fail(`no error line in systemctl status:\n${status}`));
            assert.match(status, /error: .*(in use|already)/i);
            await waitFor("the start limit", async () => {
              return (await unitProps(box, unit)).ActiveState === "failed";
            }, 90_000);
            await new Promise((resolve) => setTimeout(resolve, 3000)); // > RestartSec: no retry
            assert.equal((await unitProps(box, unit)).ActiveState, "failed");
            assert.equal(await starts() - before, 5, "StartLimitBurst=5");
            const journal = await box.must(["journalctl", "-u", unit, "-o", "cat"]);
            assert.match(journal, /Start request repeated too quickly/);
          } finally {
            taken.close();
          }
          await box.must(["systemctl", "reset-failed", unit]);
        },
      );

      await t.step("bad arguments (exit 2) fail the start and are not retried", async () => {
        const defaults = join(box.root, "etc/default/openshell-gateway-local");
        const good = await Deno.readTextFile(defaults);
        // Ports below 1024 are refused as a usage error.
        await Deno.writeTextFile(defaults, "OPENSHELL_SERVE_ARGS=--listen 127.0.0.1:80\n");
        const start = await box.run(["systemctl", "start", unit]);
        assert.notEqual(start.code, 0);
        const props = await unitProps(box, unit);
        assert.deepEqual([props.ActiveState, props.Result, props.NRestarts], [
          "failed",
          "exit-code",
          "0",
        ]);
        await box.must(["systemctl", "reset-failed", unit]);
        await Deno.writeTextFile(defaults, good);
        await box.must(["systemctl", "start", unit]);
        await healthy(port, 1000);
      });

      let uid = 0;
      await t.step("the user unit runs for an ordinary user with lingering", async () => {
        await box.must(["useradd", "--create-home", "--shell", "/bin/bash", "alice"]);
        uid = Number((await box.must(["id", "-u", "alice"])).trim());
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
        await box.must([...userctl(uid), "start", "openshell-gateway@dev"], { user: "alice" });
        await healthy(userPort, 1000);
      });

      await t.step("bash completes `openshell gateway l<TAB>`; man finds the page", async () => {
        const complete = await box.must([
          "bash",
          "-ic",
          "_completion_loader openshell; complete -p openshell; " +
          "COMP_WORDS=(openshell gateway l); COMP_CWORD=2; COMPREPLY=(); _openshell; " +
          'printf "%s\\n" "${COMPREPLY[*]}"',
        ], { user: "alice" });
        assert.deepEqual(complete.trim().split("\n"), [
          "complete -F _openshell openshell",
          "list ls logs",
        ]);
        const page = await box.must(["man", "-w", "openshell"], { user: "alice" });
        assert.equal(page.trim(), "/usr/share/man/man1/openshell.1.gz");
      });

      await t.step("dpkg -r stops the system service and the lingering user's unit", async () => {
        await box.must(["dpkg", "-r", "openshell"]);
        assert.equal((await unitProps(box, unit)).ActiveState, "inactive");
        const user = await unitProps(box, "openshell-gateway@dev", { user: "alice", uid });
        assert.equal(user.ActiveState, "inactive");
        assert.equal((await box.run(["test", "-e", "/usr/bin/openshell"])).code, 1);
      });

      await t.step("dpkg --purge leaves no unit link and no file of the package", async () => {
        await box.must(["dpkg", "--purge", "openshell"]);
        const links = await box.must([
          "find",
          "/etc/systemd",
          "-name",
          "openshell-gateway@*",
        ]);
        assert.equal(links.trim(), "", "unit links are left behind");
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
        // What is left is what was there before, alice's home and the admin's instance options.
        const after = await box.must(["find", "/etc", "/usr", "/var/lib", "-xdev"]);
        const added = after.split("\n").filter((path) => !before.split("\n").includes(path));
        assert.deepEqual(
          added.filter((path) =>
            !/^\/var\/lib\/(systemd|dpkg|apt|dbus|private)\b/.test(path) &&
            !/^\/etc\/(passwd|group|shadow|gshadow|subuid|subgid)-?$/.test(path) &&
            !path.startsWith("/var/lib/systemd/linger") &&
            path !== "/etc/default/openshell-gateway-local" && path !== ""
          ),
          [],
        );
      });
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
