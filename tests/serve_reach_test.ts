/**
 * `serve` as root from where root actually runs it: a checkout or an install under a 0700
 * home, a 0700 XDG_RUNTIME_DIR (a login session's /run/user/0). The container's root (host
 * uid 65532) cannot traverse those, so the program is served from its copy in root's cache,
 * the launch's bundle lives in /run/openshell, and what is still out of reach is refused
 * before the runtime starts. A launch that fails leaves nothing in the registry.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { freePort } from "./_helpers/loopback.ts";
import { runCommand } from "./_helpers/run_command.ts";
import { REPO } from "./_helpers/sandbox.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  gatewayPid,
  getJson,
  processUid,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";
import { pathExists } from "../src/files/mod.ts";

const youki =
  (await runCommand(["sh", "-c", "command -v youki"], { env: { PATH: Deno.env.get("PATH")! } }))
    .code === 0;
const ignore = Deno.uid() !== 0 || !youki;
if (ignore) console.error("serve reach tests skipped: they run youki as root");

/** A fresh 0700 directory, as root's home is. */
async function closedDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "openshell-closed-" });
  await Deno.chmod(path, 0o700);
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** The host paths bound at the program's and the sources' mount points of a process. */
async function programMountSources(pid: number): Promise<string[]> {
  const mountinfo = await Deno.readTextFile(`/proc/${pid}/mountinfo`);
  return mountinfo.split("\n").map((line) => line.split(" ")).filter((f) =>
    f[4] === "/usr/local/bin/openshell" || f[4] === "/usr/local/lib/openshell"
  ).map((f) => f[3]!);
}

Deno.test({
  name:
    "as root, serve from a checkout under a 0700 dir with a 0700 XDG_RUNTIME_DIR answers, from a reused copy",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    await using closedHome = await closedDir();
    const home = closedHome.path;
    // The checkout as a developer has it in /root: sources, deps, image and its own Deno.
    const checkout = join(home, "openshell");
    await Deno.mkdir(join(checkout, "rootfs"), { recursive: true });
    await Deno.mkdir(join(checkout, ".tools"));
    for (const part of ["src", "deno.json", "deno.lock", "node_modules", "rootfs/dist"]) {
      const copy = await runCommand(["cp", "-a", join(REPO, part), join(checkout, part)], {
        env: { PATH: "/usr/bin:/bin" },
      });
      assert.equal(copy.code, 0, copy.stderr);
    }
    await Deno.copyFile(Deno.execPath(), join(checkout, ".tools/deno"));
    await Deno.chmod(join(checkout, ".tools/deno"), 0o755);
    const session = join(home, "run-user-0");
    await Deno.mkdir(session, { mode: 0o700 });
    const program = [
      join(checkout, ".tools/deno"),
      "run",
      "-A",
      "--quiet",
      join(checkout, "src/main.ts"),
    ];
    const env = { HOME: home, XDG_RUNTIME_DIR: session };
    const name = uniqueGatewayName("closed");
    const port = freePort();
    const copies = join(sandbox.cache, "openshell/program");
    for (const round of [1, 2]) {
      await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
        program,
        env,
      });
      await serve.ready();
      const pid = await gatewayPid(serve.child.pid);
      assert.equal(await processUid(pid), 65532);
      assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
      // Served from the copies in root's cache, made on the first launch and reused.
      const sources = await programMountSources(pid);
      assert.equal(sources.length, 2, JSON.stringify(sources));
      const copied = /^Copying ".*" to ".*": the container's root \(uid 65532\) cannot reach it$/gm;
      assert.equal(serve.stderr().match(copied)?.length ?? 0, round === 1 ? 2 : 0, serve.stderr());
      const entries = await Array.fromAsync(Deno.readDir(copies), (e) => e.name);
      assert.equal(entries.length, 2, entries.join(" "));
      for (const entry of entries) assert.match(entry, /^[0-9a-f]{64}$/);
      // Nothing of the launch under the session's runtime dir: root's is /run/openshell.
      assert.deepEqual(await Array.fromAsync(Deno.readDir(session)), []);
      assert.equal((await serve.stop()).code, 0);
      await assertNothingLeft(sandbox, name);
    }
    // The copies: the program (read-only, executable) and the sources, root's.
    const kinds = [];
    for await (const entry of Deno.readDir(copies)) {
      for await (const item of Deno.readDir(join(copies, entry.name))) {
        const info = await Deno.stat(join(copies, entry.name, item.name));
        kinds.push(`${item.name} ${(info.mode! & 0o777).toString(8)} ${info.uid}`);
      }
    }
    assert.deepEqual(kinds.sort(), ["program 555 0", "sources 755 0"]);
    // The gateway's Deno cache template made from the copied sources.
    const templates = "/run/openshell/deno-dir";
    const fromCopies = [];
    for await (const entry of Deno.readDir(templates)) {
      const record = join(templates, entry.name, "openshell-template.json");
      const { sourceDir } = JSON.parse(await Deno.readTextFile(record).catch(() => "{}"));
      if (sourceDir?.startsWith(`${copies}/`)) fromCopies.push(join(templates, entry.name));
    }
    assert.equal(fromCopies.length, 1, "no template of the copied sources");
    const gcAll = await runCommand([...program, "bundle", "gc", "--all", "-o", "json"], {
      env: { ...sandbox.env, ...env },
    });
    assert.equal(gcAll.code, 0, gcAll.stderr);
    const removed: string[] = JSON.parse(gcAll.stdout).removed;
    assert.equal(removed.filter((p) => p.startsWith(`${copies}/`)).length, 2);
    // Its sources gone with the copies: the template goes too.
    assert.ok(removed.includes(fromCopies[0]!), gcAll.stdout);
    assert.equal(await pathExists(fromCopies[0]!), false);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(copies)), []);
  },
});

Deno.test({
  name: "as root, serve from a source install in a 0700 home answers",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    await using closedHome = await closedDir();
    const home = closedHome.path;
    const prefix = join(home, ".local");
    const install = await runCommand([
      "sh",
      join(REPO, "install.sh"),
      "--source",
      "--prefix",
      prefix,
    ], {
      env: {
        PATH: `${join(Deno.execPath(), "..")}:/usr/sbin:/usr/bin:/sbin:/bin`,
        HOME: home,
        DENO_DIR: sandbox.env.DENO_DIR!,
        NO_COLOR: "1",
      },
    });
    assert.equal(install.code, 0, install.stderr);
    const name = uniqueGatewayName("install");
    const port = freePort();
    await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
      program: [join(prefix, "bin/openshell")],
      env: { HOME: home, XDG_RUNTIME_DIR: join(home, "no-such-session") },
    });
    await serve.ready();
    assert.equal(await processUid(await gatewayPid(serve.child.pid)), 65532);
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.match(serve.stderr(), /^Copying ".*\/\.local\/lib\/openshell\/deno" to /m);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name:
    "as root, an explicit XDG_CACHE_HOME under a 0700 dir fails before the runtime starts, naming it; nothing is left",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    await using closedParent = await closedDir();
    const closed = closedParent.path;
    const cache = join(closed, "cache");
    await Deno.mkdir(cache, { mode: 0o755 });
    const name = uniqueGatewayName("unreach");
    await using serve = startServe(
      sandbox,
      ["--name", name, "--listen", `127.0.0.1:${freePort()}`],
      {
        env: { XDG_CACHE_HOME: cache },
      },
    );
    const outcome = await serve.finished();
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(
      outcome.stderr,
      new RegExp(
        `^error: uid 65532 \\(the container's root\\) cannot reach the gateway rootfs "${cache}/openshell/rootfs/[0-9a-f]{64}/rootfs": "${closed}" \\(mode 0700, owner 0:0\\) is not searchable by it$`,
        "m",
      ),
    );
    assert.match(
      outcome.stderr,
      new RegExp(`^hint: .*chmod o\\+x "${closed}".*XDG_CACHE_HOME`, "m"),
    );
    assert.doesNotMatch(outcome.stderr, /Starting container/);
    await assertNothingLeft(sandbox, name);
    assert.equal(await pathExists(join(sandbox.config, "openshell/gateways", name)), false);
    assert.equal(await pathExists(join(sandbox.state, "openshell/gateways", name)), false);
  },
});

Deno.test({
  name:
    "a serve that fails before the gateway answers leaves no registry dir or token; a later one creates them",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("fail");
    const gatewayDir = join(sandbox.config, "openshell/gateways", name);
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const taken = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
    try {
      await using inUse = startServe(sandbox, ["--name", name, "--listen", taken]);
      const outcome = await inUse.finished();
      assert.equal(outcome.code, 1);
      assert.match(outcome.stderr, /is already in use/);
    } finally {
      listener.close();
    }
    const broken = join(sandbox.root, "broken-runtime");
    await Deno.writeTextFile(broken, "#!/bin/sh\necho 'ERROR: no' >&2\nexit 3\n", { mode: 0o755 });
    const port = `127.0.0.1:${freePort()}`;
    {
      await using failing = startServe(sandbox, [
        "--name",
        name,
        "--listen",
        port,
        "--runtime-path",
        broken,
      ]);
      assert.equal((await failing.finished()).code, 1);
    }
    for (const path of [gatewayDir, join(sandbox.state, "openshell/gateways", name)]) {
      assert.equal(await pathExists(path), false, path);
    }
    const list = await runCommand([
      Deno.execPath(),
      "run",
      "-A",
      "--quiet",
      join(REPO, "src/main.ts"),
      "gateway",
      "list",
      "-o",
      "json",
    ], {
      env: sandbox.env,
    });
    assert.deepEqual(JSON.parse(list.stdout), []);
    await using serve = startServe(sandbox, ["--name", name, "--listen", port]);
    await serve.ready();
    assert.equal(((await Deno.stat(join(gatewayDir, "token"))).mode ?? 0) & 0o777, 0o600);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "when the runtime fails, the error gives its failed step and the path, from its JSON log",
  ignore,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("step");
    // Real youki, handed a config whose program mount lands below a file in the image.
    const wrapper = join(sandbox.root, "youki-bad-mount");
    const youkiPath = (await runCommand(["sh", "-c", "command -v youki"], {
      env: { PATH: Deno.env.get("PATH")! },
    })).stdout.trim();
    await Deno.writeTextFile(
      wrapper,
      `#!/bin/sh
for a; do [ "$prev" = --bundle ] && bundle=$a; prev=$a; done
[ -n "$bundle" ] && sed -i 's#"destination": "/usr/local/bin/openshell",#"destination": "/usr/local/bin/openshell/x",#' "$bundle/config.json"
exec ${youkiPath} "$@"
`,
      { mode: 0o755 },
    );
    await using serve = startServe(sandbox, [
      "--name",
      name,
      "--listen",
      `127.0.0.1:${freePort()}`,
      "--runtime-path",
      wrapper,
    ]);
    const outcome = await serve.finished();
    assert.equal(outcome.code, 1, outcome.stderr);
    assert.match(
      outcome.stderr,
      /^error: OCI runtime youki failed with status \d+: failed to prepare rootfs: failed to mount .*"\/usr\/local\/bin\/openshell\/x"/m,
    );
    await assertNothingLeft(sandbox, name);
    assert.equal(await pathExists(join(sandbox.config, "openshell/gateways", name)), false);
  },
});
