/**
 * The system registry root: OPENSHELL_SYSTEM_GATEWAY_DIR > the installed default > the
 * built-in /etc/openshell. The install prefix is derived from where the program runs (a pure
 * decision, tested exhaustively), and real installs made by install.sh with --system-dir are
 * run with a clean environment from elsewhere.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runCommand } from "./_helpers/run_command.ts";
import { createSandbox, denoDir, REPO, writeProgramLauncher } from "./_helpers/sandbox.ts";
import { prefixOf } from "../src/host/install_location.ts";
import { systemRoot, systemRootDefault } from "../src/registry/mod.ts";

Deno.test("prefixOf: a binary in <prefix>/bin or sources in <prefix>/lib/openshell", () => {
  const cases: [string, Parameters<typeof prefixOf>[0], string | undefined][] = [
    [
      "binary under /usr",
      { standalone: true, execPath: "/usr/bin/openshell", programRoot: "/x" },
      "/usr",
    ],
    ["binary under a deep prefix", {
      standalone: true,
      execPath: "/opt/a b/os/bin/openshell",
      programRoot: undefined,
    }, "/opt/a b/os"],
    [
      "binary in /bin",
      { standalone: true, execPath: "/bin/openshell", programRoot: undefined },
      "/",
    ],
    [
      "binary renamed",
      { standalone: true, execPath: "/usr/bin/os", programRoot: undefined },
      "/usr",
    ],
    ["binary outside a bin dir", {
      standalone: true,
      execPath: "/home/a/dist/openshell",
      programRoot: undefined,
    }, undefined],
    ["binary in a dir ending in bin", {
      standalone: true,
      execPath: "/opt/sbin2/openshell",
      programRoot: undefined,
    }, undefined],
    ["source install under /usr", {
      standalone: false,
      execPath: "/usr/lib/openshell/deno",
      programRoot: "/usr/lib/openshell",
    }, "/usr"],
    ["source install under ~/.local", {
      standalone: false,
      execPath: "/home/a/.local/lib/openshell/deno",
      programRoot: "/home/a/.local/lib/openshell",
    }, "/home/a/.local"],
    ["source install at /", {
      standalone: false,
      execPath: "/lib/openshell/deno",
      programRoot: "/lib/openshell",
    }, "/"],
    ["a checkout", {
      standalone: false,
      execPath: "/work/.tools/deno",
      programRoot: "/work/openshell",
    }, undefined],
    ["a checkout named like a lib dir", {
      standalone: false,
      execPath: "/usr/bin/deno",
      programRoot: "/src/xlib/openshell",
    }, undefined],
    [
      "no file location",
      { standalone: false, execPath: "/usr/bin/deno", programRoot: undefined },
      undefined,
    ],
  ];
  for (const [label, place, expected] of cases) assert.equal(prefixOf(place), expected, label);
});

Deno.test("systemRoot: a valid variable wins, an unusable one warns, else the default", () => {
  const warnings: string[] = [];
  const warn = (message: string) => warnings.push(message);
  // From a checkout the default is the built-in one.
  assert.deepEqual(systemRootDefault(), { path: "/etc/openshell", source: "built-in" });
  assert.deepEqual(systemRoot(() => undefined, warn), {
    path: "/etc/openshell",
    source: "built-in",
  });
  const env = (value: string) => (name: string) =>
    name === "OPENSHELL_SYSTEM_GATEWAY_DIR" ? value : undefined;
  assert.deepEqual(systemRoot(env("/srv/os"), warn), { path: "/srv/os", source: "variable" });
  assert.deepEqual(warnings, []);
  assert.deepEqual(systemRoot(env(""), warn), { path: "/etc/openshell", source: "built-in" });
  assert.deepEqual(systemRoot(env("rel/dir"), warn).source, "built-in");
  assert.deepEqual(warnings, [
    "ignoring OPENSHELL_SYSTEM_GATEWAY_DIR='': it is empty; using /etc/openshell",
    "ignoring OPENSHELL_SYSTEM_GATEWAY_DIR='rel/dir': it is not an absolute path; using /etc/openshell",
  ]);
});

/** install.sh with only PATH, HOME, DENO_DIR and `env`. */
function installSh(args: string[], env: Record<string, string> = {}) {
  return runCommand(["sh", join(REPO, "install.sh"), ...args], {
    env: {
      PATH: `${join(Deno.execPath(), "..")}:/usr/bin:/bin`,
      HOME: "/nonexistent",
      DENO_DIR: denoDir(),
      NO_COLOR: "1",
      ...env,
    },
  });
}

/** The installed program, as a user runs it: a clean environment, from another directory. */
function installed(
  bin: string,
  home: string,
  args: string[],
  extra: Record<string, string> = {},
) {
  return runCommand([bin, ...args], {
    env: { PATH: "/usr/bin:/bin", HOME: home, ...extra },
    cwd: home,
  });
}

interface Row {
  name: string;
  source: string;
  active: boolean;
  endpoint: string;
}

async function listed(bin: string, home: string, extra: Record<string, string> = {}) {
  const run = await installed(bin, home, ["gateway", "list", "-o", "json"], extra);
  assert.equal(run.code, 0, run.stderr);
  return (JSON.parse(run.stdout) as Row[]).map((r) =>
    `${r.active ? "*" : " "}${r.name}:${r.source}`
  );
}

Deno.test("install.sh --system-dir makes DIR the installed program's default", async (t) => {
  await using sandbox = await createSandbox({ mode: 0o755 });
  const T = sandbox.root;
  const prefix = join(T, "usr");
  const bin = join(prefix, "bin/openshell");
  const systemDir = join(T, "etc/oshell");
  const seeds = [
    "--gateway",
    "corp=https://gw.corp.example:8443",
    "--gateway",
    "lab=http://127.0.0.1:9",
    "--active",
    "corp",
  ];

  await t.step("a source install sees its seeded gateways with a clean environment", async () => {
    const run = await installSh([
      "--source",
      "--prefix",
      prefix,
      "--system-dir",
      systemDir,
      ...seeds,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`system gateway registry: ${systemDir}\n`));
    assert.deepEqual(await listed(bin, sandbox.home), ["*corp:system", " lab:system"]);
  });

  await t.step("every command shows the same system root", async () => {
    const origin = await installed(bin, sandbox.home, ["gateway", "list", "--show-origin"]);
    assert.equal(origin.code, 0, origin.stderr);
    assert.match(origin.stdout, new RegExp(`corp .* ${systemDir}/gateways/corp/metadata\\.json`));
    const info = await installed(bin, sandbox.home, ["gateway", "info", "lab", "-o", "json"]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, new RegExp(`${systemDir}/gateways/lab/metadata\\.json`));
    const status = await installed(bin, sandbox.home, [
      "-g",
      "lab",
      "status",
      "-o",
      "json",
      "--timeout",
      "300",
    ]);
    assert.match(
      status.stdout,
      new RegExp(`"origin": "${systemDir}/gateways/lab/metadata\\.json"`),
    );
  });

  await t.step("the variable still overrides the installed default", async () => {
    const other = join(T, "other");
    await Deno.mkdir(join(other, "gateways/x"), { recursive: true });
    await Deno.writeTextFile(
      join(other, "gateways/x/metadata.json"),
      JSON.stringify({
        name: "x",
        gateway_endpoint: "http://127.0.0.1:7",
        is_remote: false,
        gateway_port: 7,
      }),
    );
    assert.deepEqual(await listed(bin, sandbox.home, { OPENSHELL_SYSTEM_GATEWAY_DIR: other }), [
      " x:system",
    ]);
    // An unusable variable falls back to the installed default, and says so.
    const run = await installed(bin, sandbox.home, ["gateway", "list", "-o", "json"], {
      OPENSHELL_SYSTEM_GATEWAY_DIR: "relative",
    });
    assert.match(
      run.stderr,
      new RegExp(`ignoring OPENSHELL_SYSTEM_GATEWAY_DIR='relative'.*using ${systemDir}`),
    );
    assert.equal(JSON.parse(run.stdout).length, 2);
  });

  await t.step("the prefix moved as a whole keeps working", async () => {
    const moved = join(T, "moved");
    await Deno.rename(prefix, moved);
    assert.deepEqual(await listed(join(moved, "bin/openshell"), sandbox.home), [
      "*corp:system",
      " lab:system",
    ]);
    await Deno.rename(moved, prefix);
  });

  await t.step("--uninstall removes the seeded files from the moved location", async () => {
    const run = await installSh(["--uninstall", "--prefix", prefix]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(existsSync(join(systemDir, "gateways/corp")), false);
    assert.equal(existsSync(join(systemDir, "active_gateway")), false);
    assert.equal(existsSync(join(prefix, "lib/openshell")), false);
  });
});

Deno.test("a system dir inside the prefix moves with it; the variable given to install.sh works too", async () => {
  await using sandbox = await createSandbox({ mode: 0o755 });
  const prefix = join(sandbox.root, "opt");
  const run = await installSh([
    "--source",
    "--prefix",
    prefix,
    "--gateway",
    "in=http://127.0.0.1:5",
  ], {
    OPENSHELL_SYSTEM_GATEWAY_DIR: join(prefix, "etc/openshell"),
  });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    await Deno.readTextFile(join(prefix, "lib/openshell/system-gateway-dir")),
    "etc/openshell\n",
  );
  assert.deepEqual(await listed(join(prefix, "bin/openshell"), sandbox.home), [" in:system"]);
  const moved = join(sandbox.root, "elsewhere");
  await Deno.rename(prefix, moved);
  const origin = await installed(join(moved, "bin/openshell"), sandbox.home, [
    "gateway",
    "list",
    "--show-origin",
  ]);
  assert.equal(origin.code, 0, origin.stderr);
  assert.match(origin.stdout, new RegExp(`${moved}/etc/openshell/gateways/in/metadata\\.json`));
});

Deno.test("install.sh --binary records the system dir beside the program, and removes it", async () => {
  await using sandbox = await createSandbox();
  // A stand-in for the binary that runs this checkout's program: install.sh seeds through it.
  const stand = await writeProgramLauncher(join(sandbox.root, "openshell-binary"));
  const prefix = join(sandbox.root, "p");
  const systemDir = join(sandbox.root, "sys");
  const run = await installSh([
    "--binary",
    stand,
    "--prefix",
    prefix,
    "--system-dir",
    systemDir,
    "--gateway",
    "a=http://127.0.0.1:1",
    "--active",
    "a",
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(
    await Deno.readTextFile(join(prefix, "lib/openshell/system-gateway-dir")),
    `${systemDir}\n`,
  );
  assert.equal(await Deno.readTextFile(join(systemDir, "active_gateway")), "a");
  const removal = await installSh(["--uninstall", "--prefix", prefix]);
  assert.equal(removal.code, 0, removal.stderr);
  assert.equal(existsSync(join(prefix, "lib/openshell")), false);
  assert.equal(existsSync(join(systemDir, "gateways/a")), false);
  assert.equal(existsSync(join(systemDir, "active_gateway")), false);
});

Deno.test("package:deb refuses a --system-dir that is not a plain absolute path (usage, exit 2)", async () => {
  for (const dir of ["etc/openshell", "/", "/etc/open shell"]) {
    const run = await runCommand(
      ["sh", join(REPO, "packaging/build_deb.sh"), "--system-dir", dir],
      {
        env: { PATH: "/usr/bin:/bin" },
      },
    );
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^error: --system-dir must be/);
  }
});
