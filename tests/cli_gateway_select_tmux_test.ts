import assert from "node:assert/strict";
import { join } from "node:path";
import { createSandbox, MAIN, type Sandbox } from "./_helpers/sandbox.ts";
import { sandboxRoots, seedRegistry } from "./registry_fixture.ts";

const HAVE_TMUX = new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
  .output().then((o) => o.success, () => false);

/** A tmux server of our own (its socket inside the sandbox) running one command. */
async function tmux(sandbox: Sandbox, script: string) {
  const socket = join(sandbox.root, "tmux.sock");
  const run = async (...args: string[]) => {
    const output = await new Deno.Command("tmux", { args: ["-S", socket, ...args] }).output();
    return new TextDecoder().decode(output.stdout);
  };
  await run("new-session", "-d", "-x", "120", "-y", "30", "-s", "t", script);
  return {
    screen: () => run("capture-pane", "-p", "-t", "t"),
    keys: (...keys: string[]) => run("send-keys", "-t", "t", ...keys),
    async waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const screen = await this.screen();
        if (pattern.test(screen)) return screen;
        if (Date.now() > deadline) throw new Error(`Timed out waiting for ${pattern}:\n${screen}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    kill: () => run("kill-server"),
  };
}

Deno.test("gateway select on a terminal: a numbered chooser, answered by number", async (t) => {
  if (!(await HAVE_TMUX)) {
    console.log("tmux is not installed: the terminal chooser is not exercised here");
    return;
  }
  await using sandbox = await seedSandbox();
  const script = join(sandbox.root, "select.sh");
  const exports = Object.entries(sandbox.env).map(([k, v]) => `export ${k}='${v}'`).join("\n");
  await Deno.writeTextFile(
    script,
    `${exports}\n'${Deno.execPath()}' run -A --quiet '${MAIN}' gateway select\n` +
      `echo "EXIT=$?"\nsleep 60\n`,
    { mode: 0o755 },
  );
  const session = await tmux(sandbox, script);
  try {
    await t.step("lists the gateways with the current one marked", async () => {
      const screen = await session.waitFor(/Number or name \[1-4\]:/);
      assert.match(screen, /^\* 1\) alpha {6}http:\/\/127\.0\.0\.1:8005 {2}\(user\)$/m);
      assert.match(screen, /^ {2}3\) edge {7}https:\/\/edge\.example\.com {2}\(system\)$/m);
    });
    await t.step("rejects an unknown answer and accepts a number", async () => {
      await session.keys("9", "Enter");
      await session.waitFor(/'9' is not one of the listed gateways/);
      await session.keys("3", "Enter");
      const screen = await session.waitFor(/EXIT=\d+/);
      assert.match(screen, /Active gateway: edge \(system, https:\/\/edge\.example\.com\)/);
      assert.match(screen, /EXIT=0/);
    });
    const active = await Deno.readTextFile(join(sandboxRoots(sandbox).user, "active_gateway"));
    assert.equal(active, "edge");
  } finally {
    await session.kill();
  }
});

async function seedSandbox(): Promise<Sandbox> {
  const sandbox = await createSandbox();
  await seedRegistry(sandboxRoots(sandbox));
  return sandbox;
}
