import assert from "node:assert/strict";
import { createSandbox, runCli } from "./_helpers/sandbox.ts";
import denoJson from "../deno.json" with { type: "json" };

Deno.test("--version prints the version on stdout", async () => {
  await using sandbox = await createSandbox();
  const result = await runCli(sandbox, ["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), denoJson.version);
});

Deno.test("an unknown command is a usage error: exit 2, message on stderr only", async () => {
  await using sandbox = await createSandbox();
  const result = await runCli(sandbox, ["no-such-command"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /unknown command 'no-such-command'/);
});
