import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommandLine, createSandbox, type Sandbox } from "./_helpers/sandbox.ts";
import { openTmux, tmuxAvailable } from "./_helpers/tmux.ts";
import { sandboxRoots, seedRegistry } from "./registry_fixture.ts";

Deno.test({
  name: "gateway select on a terminal: a numbered chooser, answered by number",
  ignore: !tmuxAvailable(),
}, async (t) => {
  await using sandbox = await seedSandbox();
  await using terminal = await openTmux({
    env: sandbox.env,
    cwd: sandbox.root,
    columns: 120,
    rows: 30,
  });
  const waitFor = (pattern: RegExp) =>
    terminal.waitFor((screen) => pattern.test(screen), String(pattern), 15_000);
  await terminal.send([`${cliCommandLine(["gateway", "select"])}; echo "EXIT=$?"`, "Enter"]);
  await t.step("lists the gateways with the current one marked", async () => {
    const screen = await waitFor(/Number or name \[1-4\]:/);
    // every column aligned, the active gateway marked
    const expected = [
      "       NAME       ENDPOINT                       TYPE    SOURCE",
      "*  1)  alpha      http://127.0.0.1:8005          local   user",
      "   2)  corp       https://corp.example.com:8443  remote  user",
      "   3)  edge       https://edge.example.com       cloud   system",
      "   4)  openshell  http://127.0.0.1:8080          local   system",
    ];
    assert.ok(screen.includes(`Select a gateway:\n${expected.join("\n")}\n`), screen);
  });
  await t.step("rejects an unknown answer and accepts a number", async () => {
    await terminal.send(["9", "Enter"]);
    await waitFor(/'9' is not one of the listed gateways/);
    await terminal.send(["3", "Enter"]);
    const screen = await waitFor(/EXIT=\d+/);
    assert.match(screen, /Active gateway: edge \(system, https:\/\/edge\.example\.com\)/);
    assert.match(screen, /EXIT=0/);
  });
  const active = await Deno.readTextFile(join(sandboxRoots(sandbox).user, "active_gateway"));
  assert.equal(active, "edge");
});

async function seedSandbox(): Promise<Sandbox> {
  const sandbox = await createSandbox();
  await seedRegistry(sandboxRoots(sandbox));
  return sandbox;
}
