import assert from "node:assert/strict";
import { cliArgv, cliCommandLine, createSandbox, runCli } from "./_helpers/sandbox.ts";
import { sandboxRoots, writeEntry } from "./registry_fixture.ts";
import { openTmux, tmuxAvailable } from "./_helpers/tmux.ts";
import denoJson from "../deno.json" with { type: "json" };
import { join } from "node:path";
import { packImage } from "../src/image/pack_image.ts";
import { writeImage } from "./testdata/bundle/fixtures.ts";
import { parse as parseYaml } from "yaml";

Deno.test("--version prints one line, `openshell <version>`, wherever the program reads it", async () => {
  await using sandbox = await createSandbox();
  for (const args of [["--version"], ["-V"], ["gateway", "list", "-V"], ["-V", "-o", "json"]]) {
    const result = await runCli(sandbox, args);
    assert.deepEqual(
      [result.code, result.stdout, result.stderr],
      [0, `openshell ${denoJson.version}\n`, ""],
      args.join(" "),
    );
  }
});

Deno.test("version: the version line, then Deno, the rootfs digest, the runtime and the system registry", async () => {
  await using sandbox = await createSandbox();
  const image = join(sandbox.root, "image");
  const packed = packImage([{ type: "directory", path: "etc", mode: 0o755 }], "0".repeat(64));
  await writeImage(image, packed);
  const bin = join(sandbox.root, "bin");
  await Deno.mkdir(bin);
  await Deno.writeTextFile(join(bin, "youki"), "#!/bin/sh\n", { mode: 0o755 });
  const env = { OPENSHELL_ROOTFS_IMAGE: image, PATH: bin };
  const result = await runCli(sandbox, ["version"], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.split("\n"), [
    `openshell ${denoJson.version}`,
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    `rootfs sha256:${packed.manifest.tarball.sha256}`,
    `runtime youki (${join(bin, "youki")})`,
    `system registry ${sandbox.system} (variable)`,
    "",
  ]);
  const expected = {
    version: denoJson.version,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    rootfs: {
      sha256: packed.manifest.tarball.sha256,
      manifest: join(image, "manifest.json"),
      error: null,
    },
    runtime: { name: "youki", path: join(bin, "youki"), error: null },
    system_registry: { path: sandbox.system, source: "variable", file: null },
  };
  for (const args of [["version", "-o", "json"], ["version", "--output=json"]]) {
    const json = await runCli(sandbox, args, { env });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), expected);
  }
  const yaml = await runCli(sandbox, ["version", "-o", "yaml"], { env });
  assert.equal(yaml.code, 0, yaml.stderr);
  assert.deepEqual(parseYaml(yaml.stdout), expected);
  const missing = await runCli(sandbox, ["version"], {
    env: { OPENSHELL_ROOTFS_IMAGE: join(sandbox.root, "none"), PATH: sandbox.root },
  });
  assert.equal(missing.code, 0);
  const lines = missing.stdout.split("\n");
  assert.equal(lines[0], `openshell ${denoJson.version}`);
  assert.match(lines[2]!, /^rootfs: The gateway rootfs image is missing/);
  assert.match(
    lines[3]!,
    /^runtime youki: No OCI runtime can run here: youki is not installed, and no fallback runtime \(runc, crun\) is installed$/,
  );
  const bad = await runCli(sandbox, ["version", "-o", "xml"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stdout, "");
});

Deno.test("an unknown command is a usage error: exit 2, message on stderr only", async () => {
  await using sandbox = await createSandbox();
  const result = await runCli(sandbox, ["no-such-command"]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /unknown command 'no-such-command'/);
});

Deno.test("a reader that closes stdout early ends the CLI quietly with status 141, as SIGPIPE would", async () => {
  await using sandbox = await createSandbox();
  await writeEntry(sandboxRoots(sandbox).user, "corp");
  const cases = [
    ["--help"],
    ["--version"],
    ["gateway", "list", "-o", "json"],
    ["completions", "bash"],
    ["serve", "--help"],
  ];
  for (const args of cases) {
    const [program, ...rest] = cliArgv(args);
    const child = new Deno.Command(program!, {
      args: rest,
      env: sandbox.env,
      clearEnv: true,
      cwd: sandbox.root,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // The read end closes before the CLI has started, so its first write finds no reader.
    await child.stdout.cancel();
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    assert.equal(stderr, "", args.join(" "));
    assert.equal(status.code, 141, args.join(" "));
  }
});

Deno.test({
  name: "on a terminal colour reaches the screen as colour: doctor's statuses, each failed remove",
  ignore: !tmuxAvailable(),
}, async () => {
  await using sandbox = await createSandbox();
  await writeEntry(sandbox.system, "installed");
  const { NO_COLOR: _, ...env } = sandbox.env;
  await using terminal = await openTmux({ env, cwd: sandbox.root, columns: 200, rows: 60 });
  const doctor = cliCommandLine(["doctor"]);
  const remove = cliCommandLine(["gateway", "remove", "installed", "absent"]);
  await terminal.send([`${doctor}; ${remove}`, "Enter"]);
  const screen = await terminal.waitFor(
    (text) => text.includes("Some gateways were not removed"),
    "doctor's checks and remove's errors",
    60_000,
  );
  // A colour code replaced as a control character would show up as "?[".
  assert.doesNotMatch(screen, /\?\[/);
  const styled = await terminal.captureStyled();
  const esc = "\x1b\\[";
  assert.match(styled, new RegExp(`${esc}3[123]mok {2}|${esc}3[123]m(warn|fail)`));
  assert.match(
    styled,
    new RegExp(`${esc}31merror:${esc}(0|39)m Gateway 'installed' is installed by the system`),
  );
});
