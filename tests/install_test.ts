/**
 * install.sh, run for real into temp destdirs: the installed tree, the seeded system registry,
 * idempotence, uninstall, dry runs and refusals of hostile input.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { type CommandResult, runCommand } from "./_helpers/run_command.ts";
import { createSandbox, denoDir, REPO, writeProgramLauncher } from "./_helpers/sandbox.ts";
import { SHARED_CHECKOUT, sharedCliArgv } from "./_helpers/shared_checkout.ts";
import { asNobody } from "./_helpers/test_users.ts";
import { planGatewayAdd } from "../src/register/mod.ts";
import { isValidGatewayName } from "../src/registry/mod.ts";

const INSTALL_SH = join(REPO, "install.sh");
const IS_ROOT = Deno.uid() === 0;
const decoder = new TextDecoder();

/** Runs install.sh with `args`; the environment holds only PATH, HOME, DENO_DIR, NO_COLOR and `env`. */
function installSh(
  args: string[],
  env: Record<string, string> = {},
  options: { asNobody?: boolean } = {},
): Promise<CommandResult> {
  const base = {
    PATH: `${join(Deno.execPath(), "..")}:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: env.HOME ?? "/nonexistent",
    DENO_DIR: denoDir(),
    NO_COLOR: "1",
  };
  // Another user runs the copy of the checkout it can read.
  const script = options.asNobody ? join(SHARED_CHECKOUT.repo, "install.sh") : INSTALL_SH;
  const argv = ["sh", script, ...args];
  return runCommand(options.asNobody ? asNobody(argv) : argv, { env: { ...base, ...env } });
}

/** Installs `binary` as the program into `dest` under /usr, seeding each `NAME=ENDPOINT` given. */
function installBinary(
  binary: string,
  dest: string,
  ...gateways: string[]
): Promise<CommandResult> {
  const seeds = gateways.flatMap((gateway) => ["--gateway", gateway]);
  return installSh(["--binary", binary, "--destdir", dest, "--prefix", "/usr", ...seeds]);
}

function assertOk(run: CommandResult): void {
  assert.equal(run.code, 0, `install.sh failed:\n${run.stderr}`);
}

/** A stand-in for a compiled binary in `dir` (install.sh runs it to check and seed gateways). */
function programBinary(dir: string): Promise<string> {
  return writeProgramLauncher(join(dir, "openshell-binary"));
}

/** Every entry under `root`: relative path, type, mode, content digest or link target. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  if (!existsSync(root)) return entries;
  const walk = async (dir: string, rel: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      const info = await Deno.lstat(path);
      const mode = ((info.mode ?? 0) & 0o7777).toString(8);
      if (entry.isSymlink) entries.set(key, `l ${mode} ${await Deno.readLink(path)}`);
      else if (entry.isDirectory) {
        entries.set(key, `d ${mode}`);
        await walk(path, key);
      } else {
        const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(path));
        entries.set(
          key,
          `f ${mode} ${info.size} ${btoa(String.fromCharCode(...new Uint8Array(digest)))}`,
        );
      }
    }
  };
  await walk(root, "");
  return entries;
}

async function readMetadata(
  path: string,
): Promise<{ text: string; json: Record<string, unknown> }> {
  const text = await Deno.readTextFile(path);
  return { text, json: JSON.parse(text) };
}

function modeOf(path: string): number {
  return (Deno.statSync(path).mode ?? 0) & 0o7777;
}

Deno.test("install.sh and the packaging scripts are shellcheck-clean", async () => {
  const scripts = [
    "install.sh",
    "packaging/build_deb.sh",
    "packaging/debian/copyright.sh",
    "packaging/debian/openshell.postinst",
    "packaging/debian/openshell.prerm",
    "packaging/debian/openshell.postrm",
  ];
  const output = await new Deno.Command("shellcheck", {
    args: ["--shell=sh", ...scripts],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, decoder.decode(output.stdout) + decoder.decode(output.stderr));
});

Deno.test("source install into a DESTDIR: program tree, wrapper and seeded registry as specified", async () => {
  await using sandbox = await createSandbox();
  const dest = join(sandbox.root, "dest");
  const run = await installSh([
    "--source",
    "--destdir",
    dest,
    "--prefix",
    "/usr",
    "--system-dir",
    "/etc/openshell",
    "--gateway",
    "local=http://127.0.0.1:8080",
    "--gateway",
    "corp=gw.example.com:8443",
    "--active",
    "corp",
  ]);
  assertOk(run);
  assert.match(run.stderr, /installed openshell from source \(deno 2\.9\.6, 0\.1\.0\)/);

  const lib = join(dest, "usr/lib/openshell");
  for (const file of ["deno", "deno.json", "deno.lock", "src/main.ts", "src/cli/main.ts"]) {
    assert.ok(existsSync(join(lib, file)), `${file} missing from ${lib}`);
  }
  assert.ok(existsSync(join(lib, "node_modules/valibot/package.json")));
  assert.equal(modeOf(join(lib, "deno")), 0o755);
  assert.equal(modeOf(join(lib, "src/main.ts")), 0o644);
  assert.equal(modeOf(join(dest, "usr/bin/openshell")), 0o755);
  assert.equal(
    await Deno.readTextFile(join(lib, "src/main.ts")),
    await Deno.readTextFile(join(REPO, "src/main.ts")),
  );

  // The rootfs image serve needs travels with a source install when it has been built.
  if (existsSync(join(REPO, "rootfs/dist/manifest.json"))) {
    const contents = async (dir: string) =>
      [...(await snapshot(dir)).entries()].map(([path, v]) =>
        `${path} ${v.replace(/^(\w) \d+/, "$1")}`
      );
    assert.deepEqual(
      await contents(join(lib, "rootfs/dist")),
      await contents(join(REPO, "rootfs/dist")),
    );
  } else {
    assert.match(run.stderr, /note: no rootfs\/dist in .*deno task build:rootfs/);
    assert.equal(existsSync(join(lib, "rootfs")), false);
  }

  const etc = join(dest, "etc/openshell");
  for (
    const dir of [
      etc,
      join(etc, "gateways"),
      join(etc, "gateways/local"),
      join(etc, "gateways/corp"),
    ]
  ) {
    assert.equal(modeOf(dir), 0o755, dir);
  }
  const local = await readMetadata(join(etc, "gateways/local/metadata.json"));
  const expectedLocal = {
    name: "local",
    gateway_endpoint: "http://127.0.0.1:8080",
    is_remote: false,
    gateway_port: 8080,
    auth_mode: "plaintext",
  };
  assert.deepEqual(local.json, expectedLocal);
  assert.equal(local.text, JSON.stringify(expectedLocal, null, 2));
  const corp = await readMetadata(join(etc, "gateways/corp/metadata.json"));
  assert.deepEqual(corp.json, {
    name: "corp",
    gateway_endpoint: "https://gw.example.com:8443",
    is_remote: true,
    gateway_port: 8443,
    auth_mode: "mtls",
  });
  assert.equal(modeOf(join(etc, "gateways/corp/metadata.json")), 0o644);
  assert.equal(await Deno.readTextFile(join(etc, "active_gateway")), "corp");
  assert.equal(modeOf(join(etc, "active_gateway")), 0o644);

  // The wrapper runs the installed copy, wherever the tree now sits, with no repository help.
  const version = await runCommand([join(dest, "usr/bin/openshell"), "--version"], {
    env: { PATH: "/usr/bin:/bin", HOME: sandbox.home, XDG_CACHE_HOME: sandbox.cache },
    cwd: "/",
  });
  assert.equal(version.stdout, `openshell ${denoJson.version}\n`, version.stderr);
});

Deno.test({
  name: "the source install runs offline as an unprivileged user with an unwritable cache",
  ignore: !IS_ROOT,
  async fn() {
    await using sandbox = await createSandbox();
    await Deno.chmod(sandbox.root, 0o755);
    const prefix = join(sandbox.root, "prefix");
    assertOk(await installSh(["--source", "--prefix", prefix]));
    // No network (a fresh network namespace), uid 65534, HOME that does not exist.
    const output = await runCommand(
      ["unshare", "-n", ...asNobody([join(prefix, "bin/openshell"), "--help"])],
      { env: { PATH: "/usr/bin:/bin", HOME: "/nonexistent" }, cwd: "/" },
    );
    assert.equal(output.code, 0, output.stderr);
    assert.match(output.stdout, /Usage: openshell/);
  },
});

Deno.test({
  name: "the installed openshell lists the seeded gateways as system and resolves the active one",
  async fn() {
    await using sandbox = await createSandbox();
    const dest = join(sandbox.root, "dest");
    assertOk(
      await installSh([
        "--source",
        "--destdir",
        dest,
        "--prefix",
        "/usr",
        "--gateway",
        "local=http://127.0.0.1:8080",
        "--gateway",
        "corp=https://gw.example.com:8443",
        "--active",
        "corp",
      ]),
    );
    const openshell = join(dest, "usr/bin/openshell");
    const list = await runCommand([openshell, "gateway", "list", "-o", "json"], {
      env: { ...sandbox.env, OPENSHELL_SYSTEM_GATEWAY_DIR: join(dest, "etc/openshell") },
    });
    assert.equal(list.code, 0, list.stderr);
    const rows = JSON.parse(list.stdout) as Record<string, unknown>[];
    assert.deepEqual(rows, [
      {
        active: true,
        auth: "mtls",
        endpoint: "https://gw.example.com:8443",
        is_remote: true,
        name: "corp",
        remote_host: null,
        resolved_host: null,
        served: false,
        source: "system",
        type: "remote",
      },
      {
        active: false,
        auth: "plaintext",
        endpoint: "http://127.0.0.1:8080",
        is_remote: false,
        name: "local",
        remote_host: null,
        resolved_host: null,
        served: false,
        source: "system",
        type: "local",
      },
    ]);
  },
});

Deno.test("a second run changes nothing and --uninstall removes exactly what was installed", async () => {
  await using sandbox = await createSandbox();
  const dest = join(sandbox.root, "dest");
  // Someone else's files: a system gateway and a file in the prefix.
  await Deno.mkdir(join(dest, "etc/openshell/gateways/theirs"), { recursive: true });
  await Deno.writeTextFile(join(dest, "etc/openshell/gateways/theirs/metadata.json"), "{}");
  await Deno.mkdir(join(dest, "usr/bin"), { recursive: true });
  await Deno.writeTextFile(join(dest, "usr/bin/other-tool"), "#!/bin/sh\n", { mode: 0o755 });
  const before = await snapshot(dest);

  const args = [
    "--source",
    "--destdir",
    dest,
    "--prefix",
    "/usr",
    "--gateway",
    "local=http://127.0.0.1:8080",
    "--active",
    "local",
  ];
  assertOk(await installSh(args));
  const first = await snapshot(dest);
  assertOk(await installSh(args));
  assert.deepEqual(await snapshot(dest), first);

  const removal = await installSh(["--uninstall", "--destdir", dest, "--prefix", "/usr"]);
  assertOk(removal);
  assert.match(removal.stderr, /uninstalled openshell: removed \d+ files/);
  assert.deepEqual(await snapshot(dest), before);
});

Deno.test("--dry-run prints every file a real run writes and writes nothing", async () => {
  await using sandbox = await createSandbox();
  const dest = join(sandbox.root, "dest");
  const args = [
    "--source",
    "--destdir",
    dest,
    "--prefix",
    "/opt/os",
    "--gateway",
    "a=http://127.0.0.1:1",
    "--active",
    "a",
  ];
  const dry = await installSh([...args, "--dry-run"]);
  assertOk(dry);
  assert.equal(existsSync(dest), false, "a dry run created the destdir");
  assert.match(dry.stderr, /dry run: .*nothing written/);
  assertOk(await installSh(args));
  const written = [...(await snapshot(dest)).entries()]
    .filter(([, kind]) => !kind.startsWith("d"))
    .map(([path]) => join(dest, path))
    .sort();
  // The vendored npm packages are one line with their file count, every other file one line.
  const vendored = join(dest, "opt/os/lib/openshell/node_modules/");
  const summarised = (paths: string[]) => {
    const count = paths.filter((path) => path.startsWith(vendored)).length;
    return [...paths.filter((path) => !path.startsWith(vendored)), `${vendored} (${count} files)`]
      .sort();
  };
  assert.ok(written.filter((path) => path.startsWith(vendored)).length > 100);
  assert.deepEqual(dry.stdout.trim().split("\n").sort(), summarised(written));
  assert.ok(dry.stdout.split("\n").length < 200, "the dry run lists the vendored files one by one");

  const dryRemoval = await installSh([
    "--uninstall",
    "--dry-run",
    "--destdir",
    dest,
    "--prefix",
    "/opt/os",
  ]);
  assertOk(dryRemoval);
  assert.deepEqual(dryRemoval.stdout.trim().split("\n").sort(), summarised(written));
  assert.equal((await snapshot(dest)).size > 0, true);
});

Deno.test("--binary installs the given file as the program; a later source install replaces it", async () => {
  await using sandbox = await createSandbox();
  const dest = join(sandbox.root, "dest");
  const binary = await programBinary(sandbox.root);
  const run = await installBinary(binary, dest);
  assertOk(run);
  assert.match(run.stderr, /installed openshell the compiled binary/);
  const installed = join(dest, "usr/bin/openshell");
  assert.equal(await Deno.readTextFile(installed), await Deno.readTextFile(binary));
  assert.equal(modeOf(installed), 0o755);
  assert.deepEqual(
    [...Deno.readDirSync(join(dest, "usr/lib/openshell"))].map((e) => e.name).sort(),
    ["install-manifest", "system-gateway-dir"],
  );
  assert.equal(
    await Deno.readTextFile(join(dest, "usr/lib/openshell/system-gateway-dir")),
    "/etc/openshell\n",
  );

  assertOk(await installSh(["--source", "--destdir", dest, "--prefix", "/usr"]));
  assert.match(
    await Deno.readTextFile(installed),
    /^#!\/bin\/sh\n# openshell, installed from source/,
  );
  assertOk(await installBinary(binary, dest));
  assert.equal(existsSync(join(dest, "usr/lib/openshell/src")), false, "source tree left behind");
  assertOk(await installSh(["--uninstall", "--destdir", dest, "--prefix", "/usr"]));
  assert.deepEqual([...Deno.readDirSync(dest)], []);
});

Deno.test("without --binary or --source it tries deno compile and says which install it did", async () => {
  await using sandbox = await createSandbox();
  const dest = join(sandbox.root, "dest");
  const run = await installSh(["--destdir", dest, "--prefix", "/usr"]);
  assertOk(run);
  assert.match(run.stderr, /trying deno compile/);
  const installed = await Deno.readFile(join(dest, "usr/bin/openshell"));
  const isElf = decoder.decode(installed.subarray(0, 4)) === "\x7fELF";
  if (isElf) assert.match(run.stderr, /installed openshell the compiled binary/);
  else {
    assert.match(run.stderr, /deno compile failed: .+\ninstalling from source instead/);
    assert.match(run.stderr, /installed openshell from source/);
  }
});

Deno.test("PREFIX, DESTDIR and OPENSHELL_SYSTEM_GATEWAY_DIR are honoured; flags win", async () => {
  await using sandbox = await createSandbox();
  const binary = await programBinary(sandbox.root);
  const env = {
    PREFIX: "/env/prefix",
    DESTDIR: join(sandbox.root, "envdest"),
    OPENSHELL_SYSTEM_GATEWAY_DIR: "/env/system",
  };
  const fromEnv = await installSh([
    "--dry-run",
    "--binary",
    binary,
    "--gateway",
    "a=http://localhost",
  ], env);
  assertOk(fromEnv);
  assert.deepEqual(fromEnv.stdout.trim().split("\n"), [
    `${env.DESTDIR}/env/prefix/bin/openshell`,
    `${env.DESTDIR}/env/prefix/lib/openshell/system-gateway-dir`,
    `${env.DESTDIR}/env/system/gateways/a/metadata.json`,
    `${env.DESTDIR}/env/prefix/lib/openshell/install-manifest`,
  ]);
  const flagDest = join(sandbox.root, "flagdest");
  const fromFlags = await installSh([
    "--dry-run",
    "--binary",
    binary,
    "--gateway",
    "a=http://localhost",
    "--prefix",
    "/flag/prefix",
    "--destdir",
    flagDest,
    "--system-dir",
    "/flag/system",
  ], env);
  assertOk(fromFlags);
  assert.deepEqual(fromFlags.stdout.trim().split("\n"), [
    `${flagDest}/flag/prefix/bin/openshell`,
    `${flagDest}/flag/prefix/lib/openshell/system-gateway-dir`,
    `${flagDest}/flag/system/gateways/a/metadata.json`,
    `${flagDest}/flag/prefix/lib/openshell/install-manifest`,
  ]);
  // The default prefix for an ordinary user is ~/.local; for root, /usr/local.
  const defaults = await installSh(["--dry-run", "--binary", binary], { HOME: sandbox.home });
  assertOk(defaults);
  const expectedPrefix = IS_ROOT ? "/usr/local" : `${sandbox.home}/.local`;
  assert.equal(defaults.stdout.split("\n")[0], `${expectedPrefix}/bin/openshell`);
});

Deno.test("an install outside PATH says how to reach it; one on PATH says nothing", async () => {
  await using sandbox = await createSandbox();
  const binary = await programBinary(sandbox.root);
  const prefix = join(sandbox.home, ".local");
  const off = await installSh(["--binary", binary, "--prefix", prefix], { HOME: sandbox.home });
  assertOk(off);
  assert.match(
    off.stderr,
    new RegExp(
      `^warning: ${prefix}/bin is not on your PATH; add it, for example: export PATH=`,
      "m",
    ),
  );
  const path = `${prefix}/bin:${join(Deno.execPath(), "..")}:/usr/bin:/bin`;
  const on = await installSh(["--binary", binary, "--prefix", prefix], {
    HOME: sandbox.home,
    PATH: path,
  });
  assertOk(on);
  assert.doesNotMatch(on.stderr, /warning/);
});

Deno.test("a failed deno compile is reported in whole words", async () => {
  await using sandbox = await createSandbox();
  // A Deno of the pinned version whose compile fails with a long message, as offline ones do.
  const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
  const deno = join(sandbox.root, "deno");
  await Deno.writeTextFile(
    deno,
    `#!/bin/sh
case $1 in
  --version) echo "deno 2.9.6 (stable)" ;;
  eval) echo "$0" ;;
  compile) echo "error: ${words}" >&2; exit 1 ;;
esac
`,
    { mode: 0o755 },
  );
  const run = await installSh(["--dry-run", "--destdir", join(sandbox.root, "d")], {
    DENO: deno,
  });
  assertOk(run);
  const line = run.stderr.split("\n").find((l) => l.startsWith("deno compile failed: "));
  assert.ok(line, run.stderr);
  const shown = line.slice("deno compile failed: error: ".length);
  assert.match(shown, /\.\.\.$/);
  const kept = shown.slice(0, -3);
  assert.ok(line.length <= "deno compile failed: ".length + 163, line);
  assert.ok(words.startsWith(`${kept} `), `cut inside a word: ${line}`);
});

Deno.test("endpoints become metadata the way gateway add derives it", async (t) => {
  await using sandbox = await createSandbox();
  const binary = await programBinary(sandbox.root);
  const cases: [string, string, boolean, number, string][] = [
    ["http://127.0.0.1:8080", "http://127.0.0.1:8080", false, 8080, "plaintext"],
    ["gw.example.com", "https://gw.example.com", true, 443, "mtls"],
    ["Gw.Example.COM:8443", "https://gw.example.com:8443", true, 8443, "mtls"],
    ["HTTP://LocalHost:80", "http://localhost", false, 80, "plaintext"],
    ["https://[::1]:8443", "https://[::1]:8443", false, 8443, "mtls"],
    ["http://[2001:db8::1]", "http://[2001:db8::1]", true, 80, "plaintext"],
    ["https://10.0.0.5:443/", "https://10.0.0.5", true, 443, "mtls"],
    ["http://a.localhost:08080", "http://a.localhost:8080", false, 8080, "plaintext"],
  ];
  for (const [given, endpoint, isRemote, port, auth] of cases) {
    await t.step(given, async () => {
      const dest = await Deno.makeTempDir({ dir: sandbox.root });
      assertOk(
        await installBinary(binary, dest, `g=${given}`),
      );
      const { json } = await readMetadata(join(dest, "etc/openshell/gateways/g/metadata.json"));
      const expected = {
        name: "g",
        gateway_endpoint: endpoint,
        is_remote: isRemote,
        gateway_port: port,
        auth_mode: auth,
      };
      assert.deepEqual(json, expected);
      // `gateway add` asks https:// gateways for --local/--remote; the installer decides
      // locality from the host, so only is_remote may differ for them.
      const https = endpoint.startsWith("https:");
      // `gateway add` keeps the endpoint as typed and writes gateway_port 0, as upstream does.
      const added = planGatewayAdd(given, { name: "g", ...(https ? { local: true } : {}) });
      assert.deepEqual(
        {
          ...added.metadata,
          is_remote: isRemote,
          gateway_endpoint: new URL(added.metadata.gateway_endpoint).origin,
          gateway_port: port,
        },
        expected,
        "gateway add disagrees",
      );
    });
  }
  for (
    const given of ["gw.example.com:8443/base", "https://host/?x=1", "http://127.1", "http://h#f"]
  ) {
    await t.step(`refused: ${given}`, async () => {
      const dest = join(sandbox.root, "refused");
      const run = await installSh([
        "--binary",
        binary,
        "--destdir",
        dest,
        "--gateway",
        `g=${given}`,
      ]);
      assert.equal(run.code, 2, "a malformed argument is a usage error");
      assert.match(run.stderr, /^error: invalid endpoint for gateway 'g'/);
      assert.equal(existsSync(dest), false);
    });
  }
});

Deno.test("gateway names are validated exactly like the CLI validates them", async (t) => {
  await using sandbox = await createSandbox();
  const binary = await programBinary(sandbox.root);
  const cases: [string, string, boolean][] = [
    ["plain", "corp", true],
    ["dots inside", "a.b..c", true],
    ["three dots", "...", true],
    ["space and unicode", "my gateway é", true],
    ["newline inside", "line\nbreak", true],
    ["255 bytes", "a".repeat(255), true],
    ["254 bytes of 2-byte characters", "é".repeat(127), true],
    ["empty", "", false],
    ["dot", ".", false],
    ["dot dot", "..", false],
    ["slash", "a/b", false],
    ["parent path", "../etc", false],
    ["trailing slash", "corp/", false],
    ["256 bytes", "a".repeat(256), false],
    ["256 bytes of 2-byte characters", "é".repeat(128), false],
  ];
  for (const [label, name, valid] of cases) {
    await t.step(label, async () => {
      assert.equal(isValidGatewayName(name), valid, "the CLI disagrees with this table");
      const dest = await Deno.makeTempDir({ dir: sandbox.root });
      const run = await installBinary(binary, dest, `${name}=http://127.0.0.1:1`);
      if (valid) {
        assertOk(run);
        const { json } = await readMetadata(
          join(dest, "etc/openshell/gateways", name, "metadata.json"),
        );
        assert.equal(json.name, name);
        assertOk(await installSh(["--uninstall", "--destdir", dest, "--prefix", "/usr"]));
        assert.deepEqual([...Deno.readDirSync(dest)], []);
      } else {
        assert.equal(run.code, 2, "a malformed argument is a usage error");
        assert.match(
          run.stderr,
          /^error: invalid gateway name '.*': expected a single path component/,
        );
        assert.deepEqual([...Deno.readDirSync(dest)], []);
      }
    });
  }
});

Deno.test("the program being installed checks the gateways; the installed one writes them", async () => {
  await using sandbox = await createSandbox();
  const dest = join(sandbox.root, "dest");
  // The binary records how it is run, then runs the program.
  const log = join(sandbox.root, "calls.log");
  const real = await programBinary(sandbox.root);
  const binary = join(sandbox.root, "logging-binary");
  await Deno.writeTextFile(
    binary,
    `#!/bin/sh\nprintf '%s\\n' "$0 $*" >>'${log}'\nexec '${real}' "$@"\n`,
    { mode: 0o755 },
  );
  const run = await installSh([
    "--binary",
    binary,
    "--destdir",
    dest,
    "--prefix",
    "/usr",
    "--gateway",
    "-dash=http://127.0.0.1:1",
    "--gateway",
    "corp=gw.example.com",
    "--active",
    "corp",
  ]);
  assertOk(run);
  const etc = join(dest, "etc/openshell");
  const installed = join(dest, "usr/bin/openshell");
  assert.deepEqual((await Deno.readTextFile(log)).trim().split("\n"), [
    `${binary} system add --system-dir ${etc} --replace --dry-run -o json -- -dash http://127.0.0.1:1`,
    `${binary} system add --system-dir ${etc} --replace --dry-run -o json --activate -- corp gw.example.com`,
    `${installed} system add --system-dir ${etc} -o json -- -dash http://127.0.0.1:1`,
    `${installed} system add --system-dir ${etc} -o json -- corp gw.example.com`,
    `${installed} system select --system-dir ${etc} -o json -- corp`,
  ]);
  assert.equal(
    JSON.parse(await Deno.readTextFile(join(etc, "gateways/-dash/metadata.json"))).name,
    "-dash",
  );
  assert.equal(await Deno.readTextFile(join(etc, "active_gateway")), "corp");
  assert.match(run.stderr, /seeded 2 system gateway\(s\)/);
});

Deno.test("a system directory that is the user's registry, or a name that is not UTF-8, is refused", async () => {
  await using sandbox = await createSandbox();
  const binary = await programBinary(sandbox.root);
  const dest = join(sandbox.root, "dest");
  const user = join(sandbox.home, ".config/openshell");
  const refused = await installSh([
    "--binary",
    binary,
    "--prefix",
    join(sandbox.root, "prefix"),
    "--system-dir",
    user,
    "--gateway",
    "a=http://127.0.0.1:1",
  ], { HOME: sandbox.home });
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /^error: refusing to seed system gateways into the user registry/);
  assert.equal(existsSync(join(sandbox.root, "prefix")), false);
  assert.equal(existsSync(user), false);

  // Bytes that are not UTF-8 cannot reach the program as they are.
  const bytes = await runCommand([
    "sh",
    "-c",
    `exec sh '${INSTALL_SH}' --binary '${binary}' --destdir '${dest}' --gateway "$(printf 'a\\377=http://127.0.0.1:1')"`,
  ], { env: { PATH: "/usr/bin:/bin", HOME: "/nonexistent" } });
  assert.equal(bytes.code, 2, bytes.stderr);
  assert.match(bytes.stderr, /^error: the gateway name is not UTF-8 text: 'a/);
  assert.equal(existsSync(dest), false);
});

Deno.test("hostile input is refused with a clear message before anything is written", async (t) => {
  await using sandbox = await createSandbox();
  const binary = await programBinary(sandbox.root);
  // Malformed arguments are usage errors (exit 2); a conflict with what exists is exit 1.
  const refusals: [string, string[], RegExp, number?][] = [
    ["name with a slash", ["--gateway", "a/b=http://127.0.0.1:1"], /invalid gateway name 'a\/b'/],
    ["name that climbs", ["--gateway", "..=http://127.0.0.1:1"], /invalid gateway name '\.\.'/],
    [
      "active name that climbs",
      ["--gateway", "a=http://127.0.0.1:1", "--active", "../a"],
      /invalid gateway name '\.\.\/a'/,
    ],
    [
      "endpoint that is no URL",
      ["--gateway", "a=not a url"],
      /invalid endpoint for gateway 'a': 'not a url'/,
    ],
    ["endpoint with another scheme", ["--gateway", "a=ftp://host"], /invalid endpoint/],
    ["endpoint without a host", ["--gateway", "a=http://"], /invalid endpoint/],
    ["endpoint with a bad port", ["--gateway", "a=http://host:99999"], /invalid endpoint/],
    ["endpoint with credentials", ["--gateway", "a=https://user:pw@host"], /invalid endpoint/],
    ["gateway without endpoint", ["--gateway", "a"], /--gateway expects NAME=ENDPOINT/],
    [
      "relative system dir",
      ["--system-dir", "etc/openshell", "--gateway", "a=http://127.0.0.1:1"],
      /system gateway directory must be an absolute path/,
    ],
    [
      "empty system dir",
      ["--system-dir", "", "--gateway", "a=http://127.0.0.1:1"],
      /system gateway directory must be an absolute path/,
    ],
    ["relative prefix", ["--prefix", "usr/local"], /prefix must be an absolute path/],
    [
      "active gateway that does not exist",
      ["--gateway", "a=http://127.0.0.1:1", "--active", "b"],
      /active gateway 'b' is neither seeded/,
    ],
    ["the same gateway twice", [
      "--gateway",
      "a=http://127.0.0.1:1",
      "--gateway",
      "a=http://127.0.0.1:2",
    ], /given twice/],
    ["unknown option", ["--frobnicate"], /unknown option '--frobnicate'/],
  ];
  for (const [label, args, message, code = 2] of refusals) {
    await t.step(label, async () => {
      const dest = join(sandbox.root, "dest");
      const run = await installSh(["--binary", binary, "--destdir", dest, ...args], {});
      assert.equal(run.code, code, run.stderr);
      assert.match(run.stderr, /^error: /);
      assert.match(run.stderr, message);
      assert.equal(existsSync(dest), false, "something was written");
    });
  }

  await t.step("without --binary, an invalid gateway before deno compile is tried", async () => {
    const dest = join(sandbox.root, "dest");
    for (const args of [["--gateway", "a/b=http://127.0.0.1:1"], ["--active", "nowhere"]]) {
      const run = await installSh(["--destdir", dest, ...args]);
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /^error: /);
      assert.doesNotMatch(run.stderr, /deno compile|installing from source/);
      assert.equal(existsSync(dest), false, "something was written");
    }
  });

  await t.step("relative OPENSHELL_SYSTEM_GATEWAY_DIR", async () => {
    const dest = join(sandbox.root, "dest");
    const run = await installSh([
      "--binary",
      binary,
      "--destdir",
      dest,
      "--gateway",
      "a=http://127.0.0.1:1",
    ], {
      OPENSHELL_SYSTEM_GATEWAY_DIR: "relative/dir",
    });
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /^error: the system gateway directory must be an absolute path: 'relative\/dir'/,
    );
    assert.equal(existsSync(dest), false);
  });

  await t.step("a system entry someone else installed, with other content", async () => {
    const dest = join(sandbox.root, "theirs");
    const theirs = join(dest, "etc/openshell/gateways/a/metadata.json");
    await Deno.mkdir(join(theirs, ".."), { recursive: true });
    await Deno.writeTextFile(theirs, '{"name":"a"}');
    const before = await snapshot(dest);
    const run = await installBinary(binary, dest, "a=http://127.0.0.1:1");
    assert.equal(run.code, 1);
    assert.match(run.stderr, /metadata\.json exists and was not installed by this script/);
    assert.deepEqual(await snapshot(dest), before);
  });

  await t.step("an unwritable destination", async () => {
    // A directory the installing user may not write to: root-owned 0755 for uid 65534, or
    // 0555 for an ordinary user.
    const locked = join(sandbox.root, "locked");
    await Deno.mkdir(locked, { mode: 0o755 });
    await Deno.chmod(sandbox.root, 0o755);
    if (!IS_ROOT) await Deno.chmod(locked, 0o555);
    const readableBinary = await writeProgramLauncher(
      join(sandbox.root, "shared-binary"),
      sharedCliArgv([]),
    );
    const run = await installSh(
      [
        "--binary",
        readableBinary,
        "--prefix",
        join(locked, "prefix"),
        "--gateway",
        "a=http://127.0.0.1:1",
        "--system-dir",
        join(locked, "etc"),
      ],
      {},
      { asNobody: IS_ROOT },
    );
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /^error: cannot install into .*locked\/prefix\/bin: .*locked is not writable/,
    );
    assert.deepEqual([...Deno.readDirSync(locked)], []);
  });
});

Deno.test({
  name: "--uninstall after root served detached from the source install leaves nothing",
  ignore: !IS_ROOT,
  async fn() {
    // 0755 throughout: the container's user (uid 65532) must reach the program.
    await using sandbox = await createSandbox({ mode: 0o755 });
    await Deno.chmod(sandbox.root, 0o755);
    const prefix = join(sandbox.root, "prefix");
    assertOk(await installSh(["--source", "--prefix", prefix]));
    const openshell = (...args: string[]) =>
      runCommand([join(prefix, "bin/openshell"), ...args], {
        env: { ...sandbox.env, PATH: `/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
        cwd: sandbox.root,
      });
    const name = `uninstall-${crypto.randomUUID().slice(0, 8)}`;
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const serve = await openshell("serve", "-d", "--name", name, "--listen", `127.0.0.1:${port}`);
    try {
      assert.equal(serve.code, 0, serve.stderr);
    } finally {
      await openshell("gateway", "stop", name);
    }
    assertOk(await installSh(["--uninstall", "--prefix", prefix]));
    assert.equal(existsSync(prefix), false, "the prefix holds what the run left");
  },
});
