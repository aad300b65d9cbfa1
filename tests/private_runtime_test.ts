/**
 * `serve` from an installed program finds the OCI runtime installed with it, in
 * `<prefix>/libexec/openshell/`, before PATH; an explicit runtime still wins. Run for real: a
 * source install made by install.sh, the real youki, real HTTP.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "./_helpers/run_command.ts";
import { createSandbox, denoDir, REPO } from "./_helpers/sandbox.ts";
import { freePort } from "./_helpers/loopback.ts";

const IS_ROOT = Deno.uid() === 0;
const YOUKI = ["/usr/local/bin/youki", join(Deno.env.get("HOME") ?? "/", ".local/bin/youki")]
  .find((path) => existsSync(path));
/** PATH for the program: no directory that holds a youki. */
const BARE_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";
const YOUKI_ON_BARE_PATH = BARE_PATH.split(":").some((dir) => existsSync(join(dir, "youki")));

Deno.test({
  name: "serve uses the youki in <prefix>/libexec/openshell before PATH; explicit paths win",
  ignore: !IS_ROOT || YOUKI === undefined || YOUKI_ON_BARE_PATH,
  async fn(t) {
    // 0755 throughout: as root, the container's user (uid 65532) must reach the program.
    await using sandbox = await createSandbox({ mode: 0o755 });
    const prefix = join(sandbox.root, "prefix");
    const install = await runCommand([
      "sh",
      join(REPO, "install.sh"),
      "--source",
      "--prefix",
      prefix,
    ], {
      env: {
        PATH: `${join(Deno.execPath(), "..")}:/usr/bin:/bin`,
        HOME: "/nonexistent",
        DENO_DIR: denoDir(),
      },
    });
    assert.equal(install.code, 0, install.stderr);
    const privateDir = join(prefix, "libexec/openshell");
    await Deno.mkdir(privateDir, { recursive: true });
    const env = { ...sandbox.env, PATH: BARE_PATH };
    delete (env as Record<string, string>).DENO_DIR;
    const program = join(prefix, "bin/openshell");

    await t.step("none installed: the error names both places it looked", async () => {
      // Named: with no runtime named, serve would fall back to an installed runc.
      const run = await runCommand([program, "serve", "--name", "pr", "--runtime", "youki"], {
        env,
        cwd: sandbox.home,
      });
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`not found in ${privateDir} or on PATH`));
    });

    await t.step("the private youki serves the gateway", async () => {
      await Deno.copyFile(YOUKI!, join(privateDir, "youki"));
      await Deno.chmod(join(privateDir, "youki"), 0o755);
      const port = freePort();
      const serve = new Deno.Command(program, {
        args: ["serve", "--auth", "token", "--name", "pr", "--listen", `127.0.0.1:${port}`],
        env,
        clearEnv: true,
        cwd: sandbox.home,
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(serve.stderr).text();
      try {
        const deadline = Date.now() + 60_000;
        let status = 0;
        while (status !== 200 && Date.now() < deadline) {
          status = await fetch(`http://127.0.0.1:${port}/healthz`)
            .then(async (response) => {
              await response.body?.cancel();
              return response.status;
            })
            .catch(() => 0);
          if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
        }
        assert.equal(status, 200, "the gateway did not answer");
      } finally {
        serve.kill("SIGTERM");
      }
      assert.equal((await serve.status).code, 0, await stderr);
      assert.match(await stderr, /Starting container "openshell-pr-[0-9a-f]+" with youki/);
    });

    await t.step("OPENSHELL_OCI_RUNTIME still wins over the private youki", async () => {
      const marker = join(sandbox.root, "marker");
      const chosen = join(sandbox.root, "chosen-runtime");
      await Deno.writeTextFile(chosen, `#!/bin/sh\necho "$0" >>"${marker}"\nexit 1\n`, {
        mode: 0o755,
      });
      const run = await runCommand([program, "serve", "--name", "pr"], {
        env: { ...env, OPENSHELL_OCI_RUNTIME: chosen },
        cwd: sandbox.home,
      });
      assert.equal(run.code, 1);
      const used = new Set((await Deno.readTextFile(marker)).trim().split("\n"));
      assert.deepEqual([...used], [chosen]);
    });
  },
});
