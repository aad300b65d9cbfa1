/**
 * A gateway that a systemd unit serves logs to the journal: `gateway info` says so with the
 * `journalctl` command that shows it, and `gateway logs` names the same command. Run for real
 * in a booted bookworm root (pure cgroup v2, as a bookworm host has): an ordinary user's unit
 * of their own manager (lingering), and a system unit; each printed command is run there, as
 * the user who was given it, and shows the gateway's log; root's `gateway stop` names the
 * systemctl command that stops either unit, and that command, run as printed, stops it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { addLingeringUser, bootDebianRoot } from "./_helpers/debian_root.ts";
import { freePort } from "./_helpers/loopback.ts";
import { denoDir } from "./_helpers/sandbox.ts";
import { SHARED_CHECKOUT } from "./_helpers/shared_checkout.ts";

const YOUKI = "/usr/local/bin/youki";
const missing = Deno.uid() !== 0
  ? "it runs as root to boot a container"
  : !existsSync("/usr/bin/systemd-nspawn")
  ? "systemd-nspawn is not installed"
  : !existsSync(YOUKI)
  ? "youki is not installed"
  : undefined;
if (missing) console.error(`served unit log test skipped: ${missing}`);

/** What every run of the program in the container gets. */
const PROGRAM_ENV = [
  `DENO_DIR=${denoDir()}`,
  "NO_COLOR=1",
  "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
];
const PROGRAM = [SHARED_CHECKOUT.deno, "run", "-A", "--quiet", SHARED_CHECKOUT.main];

Deno.test({
  name:
    "a gateway served by a systemd unit: info and logs name the journal command, which shows it",
  ignore: missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const binds = [SHARED_CHECKOUT.repo, SHARED_CHECKOUT.deno, denoDir(), YOUKI];
    await using box = await bootDebianRoot({ unified: true, bindRo: [...new Set(binds)] });

    /** Serves `name` from a unit, waits for its record, and checks what info and logs say. */
    const check = async (
      options: { name: string; unit: string; user?: string; env: string[]; manager: string[] },
    ) => {
      const as = options.user === undefined ? {} : { user: options.user };
      const port = freePort();
      await box.must([
        ...options.manager,
        "systemd-run",
        ...(options.user === undefined ? [] : ["--user"]),
        `--unit=${options.unit}`,
        ...[...options.env, ...PROGRAM_ENV].flatMap((variable) => ["-E", variable]),
        ...PROGRAM,
        "serve",
        "--name",
        options.name,
        "--listen",
        `127.0.0.1:${port}`,
      ], as);
      const program = ["env", ...options.env, ...PROGRAM_ENV, ...PROGRAM];
      let info = "";
      const deadline = Date.now() + 90_000;
      while (!/^log:/m.test(info)) {
        if (Date.now() > deadline) throw new Error(`never served:\n${info}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        info = (await box.run([...program, "gateway", "info", options.name], as)).stdout;
      }
      const journal = /^log:\s+in the journal: `(journalctl [^`]+)`$/m.exec(info)?.[1];
      assert.ok(journal, info);
      assert.match(info, new RegExp(`^served:.* in ${options.unit}\\.service,`, "m"));
      // The printed command, run as printed by whoever was given it, shows the gateway's log.
      const shown = await box.must(["sh", "-c", `${journal} --no-pager -o cat`], as);
      assert.match(shown, new RegExp(`^Gateway "${options.name}" is ready at `, "m"));
      const logs = await box.run([...program, "gateway", "logs", options.name], as);
      assert.equal(logs.code, 1);
      assert.ok(
        logs.stderr.includes(`hint: its log is in the journal: \`${journal}\``),
        logs.stderr,
      );
      // Root's gateway stop names the systemctl command that stops the unit, whoever's it is;
      // run as printed, by root, it stops the gateway.
      const rootProgram = ["env", "HOME=/root", ...PROGRAM_ENV, ...PROGRAM];
      const stop = await box.run([...rootProgram, "gateway", "stop", options.name]);
      assert.equal(stop.code, 1, stop.stderr);
      const systemctl = /^hint: stop it with `([^`]+)`/im.exec(stop.stderr)?.[1];
      assert.ok(systemctl, stop.stderr);
      await box.must(["sh", "-c", systemctl]);
      const state = await box.run([
        ...options.manager,
        "systemctl",
        ...(options.user ? ["--user"] : []),
        "is-active",
        `${options.unit}.service`,
      ], as);
      assert.notEqual(state.stdout.trim(), "active", "the printed command stopped the unit");
      return { journal, systemctl };
    };

    await t.step("an ordinary user's own unit: journalctl --user", async () => {
      const uid = await addLingeringUser(box, "alice");
      const env = [`XDG_RUNTIME_DIR=/run/user/${uid}`, "HOME=/home/alice"];
      const printed = await check({
        name: "dev",
        unit: "openshell-dev",
        user: "alice",
        env,
        manager: ["env", ...env],
      });
      assert.deepEqual(printed, {
        journal: "journalctl --user -u openshell-dev.service",
        systemctl:
          `runuser -u alice -- env XDG_RUNTIME_DIR=/run/user/${uid} systemctl --user stop openshell-dev.service`,
      });
    });

    await t.step("a system unit: journalctl -u", async () => {
      const printed = await check({
        name: "sys",
        unit: "openshell-sys",
        env: ["HOME=/root"],
        manager: [],
      });
      assert.deepEqual(printed, {
        journal: "journalctl -u openshell-sys.service",
        systemctl: "systemctl stop openshell-sys.service",
      });
    });
  },
});
