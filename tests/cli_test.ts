import assert from "node:assert/strict";
import { cliArgv, createSandbox, runCli } from "./_helpers/sandbox.ts";
import { sandboxRoots, writeEntry } from "./registry_fixture.ts";
import { openTmux, tmuxAvailable } from "./_helpers/tmux.ts";
import denoJson from "../deno.json" with { type: "json" };
import { join } from "node:path";
import { packImage } from "../src/image/pack_image.ts";
import { versionRequest } from "../src/cli/_version_report.ts";
import { writeImage } from "./testdata/bundle/fixtures.ts";

Deno.test("--version: the version first, then Deno, the rootfs digest, the runtime and the system registry", async () => {
  await using sandbox = await createSandbox();
  const image = join(sandbox.root, "image");
  const packed = packImage([{ type: "directory", path: "etc", mode: 0o755 }], "0".repeat(64));
  await writeImage(image, packed);
  const bin = join(sandbox.root, "bin");
  await Deno.mkdir(bin);
  await Deno.writeTextFile(join(bin, "youki"), "#!/bin/sh\n", { mode: 0o755 });
  const env = { OPENSHELL_ROOTFS_IMAGE: image, PATH: bin };
  const result = await runCli(sandbox, ["--version"], { env });
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(result.stdout.split("\n"), [
    denoJson.version,
    `deno ${Deno.version.deno} (v8 ${Deno.version.v8}, typescript ${Deno.version.typescript})`,
    `rootfs sha256:${packed.manifest.tarball.sha256}`,
    `runtime youki (${join(bin, "youki")})`,
    `system registry ${sandbox.system} (variable)`,
    "",
  ]);
  for (const args of [["-V", "-o", "json"], ["--version", "-o=json"], ["--output=json", "-V"]]) {
    const json = await runCli(sandbox, args, { env });
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), {
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
    });
  }
  const missing = await runCli(sandbox, ["--version"], {
    env: { OPENSHELL_ROOTFS_IMAGE: join(sandbox.root, "none"), PATH: sandbox.root },
  });
  assert.equal(missing.code, 0);
  const lines = missing.stdout.split("\n");
  assert.equal(lines[0], denoJson.version);
  assert.match(lines[2]!, /^rootfs: The gateway rootfs image is missing/);
  assert.match(lines[3]!, /^runtime youki: OCI runtime "youki" not found on PATH$/);
});

Deno.test("versionRequest: only version flags and an output format", () => {
  assert.equal(versionRequest(["--version"]), "text");
  assert.equal(versionRequest(["-V", "-o", "text"]), "text");
  assert.equal(versionRequest(["-ojson", "-V"]), "json");
  assert.equal(versionRequest(["--output", "json", "--version"]), "json");
  for (
    const args of [[], ["-o", "json"], ["-V", "-o", "yaml"], ["-V", "status"], ["-V", "-o"]]
  ) {
    assert.equal(versionRequest(args), undefined, args.join(" "));
  }
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
  const doctor = cliArgv(["doctor"]).join(" ");
  const remove = cliArgv(["gateway", "remove", "installed", "absent"]).join(" ");
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
