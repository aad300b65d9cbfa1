/**
 * The Debian package, built by `deno task package:deb`, checked by lintian, installed with dpkg
 * into a real debootstrap'd Debian bookworm root, used there, and purged. Slow: the chroot is
 * made once and cached under /var/cache/openshell-test; each run works on an overlay of it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import { type CommandResult, runCommand } from "./_helpers/run_command.ts";
import { denoDir, REPO } from "./_helpers/sandbox.ts";

const CHROOT_CACHE = "/var/cache/openshell-test/bookworm-chroot";
const CHROOT_READY = ".openshell-test-ready";
const IS_ROOT = Deno.uid() === 0;

if (!IS_ROOT) console.error("deb test: needs root for chroot and mount; not run");

function run(cmd: string, args: string[], options: { cwd?: string } = {}): Promise<CommandResult> {
  return runCommand([cmd, ...args], {
    cwd: options.cwd ?? "/",
    env: {
      PATH: `${join(Deno.execPath(), "..")}:/usr/sbin:/usr/bin:/sbin:/bin`,
      DENO_DIR: denoDir(),
      NO_COLOR: "1",
      LC_ALL: "C",
    },
  });
}

async function mustRun(
  cmd: string,
  args: string[],
  options: { cwd?: string } = {},
): Promise<string> {
  const result = await run(cmd, args, options);
  assert.equal(
    result.code,
    0,
    `${cmd} ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`,
  );
  return result.stdout;
}

/** The Debian mirror apt is configured with (deb822 or one-line sources). */
async function debianMirror(): Promise<string> {
  const files = ["/etc/apt/sources.list"];
  if (existsSync("/etc/apt/sources.list.d")) {
    for await (const entry of Deno.readDir("/etc/apt/sources.list.d")) {
      files.push(join("/etc/apt/sources.list.d", entry.name));
    }
  }
  for (const file of files) {
    const text = await Deno.readTextFile(file).catch(() => "");
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      if (uri && /^Suites:.*\bbookworm\b(?!-)/m.test(stanza) && !uri.includes("security")) {
        return uri;
      }
    }
    for (const line of text.split("\n")) {
      const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/.exec(line);
      if (match?.[1] && !match[1].includes("security")) return match[1];
    }
  }
  return "http://deb.debian.org/debian";
}

/** The cached minimal bookworm root, made with debootstrap on first use. */
async function cachedChroot(): Promise<string> {
  if (existsSync(join(CHROOT_CACHE, CHROOT_READY))) return CHROOT_CACHE;
  const mirror = await debianMirror();
  const partial = `${CHROOT_CACHE}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  await Deno.mkdir(join(CHROOT_CACHE, ".."), { recursive: true });
  console.error(`creating the bookworm chroot in ${CHROOT_CACHE} from ${mirror} (once)`);
  await mustRun("debootstrap", ["--variant=minbase", "bookworm", partial, mirror]);
  await Deno.writeTextFile(join(partial, CHROOT_READY), "");
  await Deno.remove(CHROOT_CACHE, { recursive: true }).catch(() => {});
  await Deno.rename(partial, CHROOT_CACHE);
  return CHROOT_CACHE;
}

/** A writable root over the cached chroot, with /proc mounted; all undone on dispose. */
async function chrootOverlay(): Promise<{ root: string } & AsyncDisposable> {
  const lower = await cachedChroot();
  const work = await Deno.makeTempDir({ prefix: "openshell-deb-test-" });
  const root = join(work, "root");
  const mounted: string[] = [];
  const cleanup = async () => {
    for (const point of mounted.reverse()) await run("umount", [point]);
    await Deno.remove(work, { recursive: true }).catch(() => {});
  };
  try {
    for (const dir of ["upper", "work", "root"]) await Deno.mkdir(join(work, dir));
    const overlay = await run("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lower},upperdir=${join(work, "upper")},workdir=${join(work, "work")}`,
      root,
    ]);
    if (overlay.code === 0) mounted.push(root);
    else await mustRun("cp", ["-a", `${lower}/.`, root]); // no overlayfs here: a full copy
    await mustRun("mount", ["-t", "proc", "proc", join(root, "proc")]);
    mounted.push(join(root, "proc"));
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { root, [Symbol.asyncDispose]: cleanup };
}

/**
 * Runs `args` inside the chroot with a clean environment and no network (a fresh network
 * namespace): as root, or as uid 65534 with a HOME that does not exist.
 */
function inChroot(
  root: string,
  args: string[],
  options: { nobody?: boolean } = {},
): Promise<CommandResult> {
  return run("unshare", [
    "-n",
    "chroot",
    ...(options.nobody ? ["--userspec=65534:65534"] : []),
    root,
    "env",
    "-i",
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    options.nobody ? "HOME=/nonexistent" : "HOME=/root",
    "NO_COLOR=1",
    ...args,
  ]);
}

async function mustInChroot(root: string, args: string[]): Promise<string> {
  const result = await inChroot(root, args);
  assert.equal(
    result.code,
    0,
    `${args.join(" ")} failed in the chroot:\n${result.stdout}${result.stderr}`,
  );
  return result.stdout;
}

/** Every path under the chroot's package-relevant trees, to compare before and after. */
async function listTree(root: string): Promise<string[]> {
  const out = await mustRun("find", ["etc", "usr", "lib", "var/lib", "-xdev"], { cwd: root });
  return out.split("\n").filter((line) =>
    line && !line.startsWith("var/lib/dpkg/") && !line.startsWith("var/lib/apt/")
  ).sort();
}

Deno.test({
  name:
    "the .deb passes lintian, installs into a bookworm root, serves its registry and purges cleanly",
  ignore: !IS_ROOT,
  sanitizeResources: false,
  async fn(t) {
    const out = await Deno.makeTempDir({ prefix: "openshell-deb-out-" });
    try {
      let deb = "";
      await t.step("deno task package:deb builds openshell_<version>_<arch>.deb", async () => {
        const stdout = await mustRun(Deno.execPath(), [
          "task",
          "--quiet",
          "package:deb",
          "--source",
          "--output",
          out,
        ], { cwd: REPO });
        deb = stdout.trim().split("\n").at(-1) ?? "";
        const arch = (await mustRun("dpkg", ["--print-architecture"])).trim();
        assert.equal(deb, join(out, `openshell_${denoJson.version}_${arch}.deb`));
        const listing = await mustRun("dpkg-deb", ["-c", deb]);
        for (
          const path of [
            "./usr/bin/openshell",
            "./usr/lib/openshell/deno",
            "./usr/lib/openshell/src/main.ts",
            "./etc/openshell/gateways/openshell/metadata.json",
            "./lib/systemd/system/openshell-gateway@.service",
            "./usr/lib/systemd/user/openshell-gateway@.service",
          ]
        ) assert.ok(listing.includes(` ${path}\n`), `${path} is not in the package`);
        const control = await mustRun("dpkg-deb", ["-I", deb, "conffiles"]);
        assert.equal(control.trim(), "/etc/openshell/gateways/openshell/metadata.json");
        for (const unit of ["openshell-gateway@.service", "openshell-gateway-user@.service"]) {
          const text = await Deno.readTextFile(join(REPO, "packaging/systemd", unit));
          assert.match(
            text,
            /^ExecStart=\/usr\/bin\/openshell serve --name %i \$OPENSHELL_SERVE_ARGS$/m,
          );
        }
      });

      await t.step("lintian reports no errors", async () => {
        const result = await run("lintian", ["--tag-display-limit", "0", deb]);
        const errors = result.stdout.split("\n").filter((line) => line.startsWith("E:"));
        assert.deepEqual(errors, [], result.stdout);
      });

      await using chroot = await chrootOverlay();
      const root = chroot.root;
      await Deno.copyFile(deb, join(root, "tmp/openshell.deb"));
      const before = await listTree(root);

      await t.step(
        "dpkg installs it; the program runs and the system gateway is seeded",
        async () => {
          await mustInChroot(root, ["dpkg", "-i", "/tmp/openshell.deb"]);
          assert.equal(
            (await mustInChroot(root, ["openshell", "--version"])).split("\n")[0],
            denoJson.version,
          );
          const metadata = JSON.parse(
            await Deno.readTextFile(join(root, "etc/openshell/gateways/openshell/metadata.json")),
          );
          assert.deepEqual(metadata, {
            name: "openshell",
            gateway_endpoint: "http://127.0.0.1:8090",
            is_remote: false,
            gateway_port: 8090,
            auth_mode: "plaintext",
          });
          assert.equal(
            await Deno.readTextFile(join(root, "etc/openshell/active_gateway")),
            "openshell",
          );
          const conffiles = await mustInChroot(root, [
            "dpkg-query",
            "-W",
            "-f",
            "${Conffiles}",
            "openshell",
          ]);
          assert.match(
            conffiles,
            /\/etc\/openshell\/gateways\/openshell\/metadata\.json [0-9a-f]{32}/,
          );
        },
      );

      await t.step({
        name: "openshell gateway list shows the system gateway, and gateway remove refuses it",
        async fn() {
          const table = await mustInChroot(root, ["openshell", "gateway", "list"]);
          assert.match(table, /openshell.*http:\/\/127\.0\.0\.1:8090.*system/);
          const rows = JSON.parse(
            await mustInChroot(root, ["openshell", "gateway", "list", "-o", "json"]),
          );
          assert.deepEqual(rows, [{
            active: true,
            auth: "plaintext",
            endpoint: "http://127.0.0.1:8090",
            is_remote: false,
            name: "openshell",
            remote_host: null,
            resolved_host: null,
            source: "system",
            type: "local",
          }]);
          const asNobody = await inChroot(root, ["openshell", "gateway", "list", "-o", "json"], {
            nobody: true,
          });
          assert.equal(asNobody.code, 0, asNobody.stderr);
          assert.deepEqual(JSON.parse(asNobody.stdout), rows);
          const removal = await inChroot(root, ["openshell", "gateway", "remove", "openshell"]);
          assert.notEqual(removal.code, 0);
          assert.match(
            removal.stderr,
            /installed by the system and cannot be removed from user config/,
          );
          const after = JSON.parse(
            await mustInChroot(root, ["openshell", "gateway", "list", "-o", "json"]),
          );
          assert.equal(after[0]?.source, "system");
        },
      });

      await t.step("dpkg --purge leaves no file of the package behind", async () => {
        const owned = (await mustInChroot(root, ["dpkg-query", "-L", "openshell"])).split("\n")
          .filter(Boolean);
        await mustInChroot(root, ["dpkg", "--purge", "openshell"]);
        const beforeSet = new Set(before);
        const realRoot = Deno.realPathSync(root);
        for (const path of owned) {
          if (path === "/." || !existsSync(join(root, path))) continue;
          // Through merged-/usr links (/lib -> usr/lib) a path may name a directory that
          // was there before the package.
          const real = Deno.realPathSync(join(root, path)).slice(realRoot.length);
          assert.ok(beforeSet.has(real.slice(1)), `${path} is left behind`);
        }
        assert.equal(existsSync(join(root, "etc/openshell")), false);
        assert.equal(existsSync(join(root, "var/lib/openshell")), false);
        assert.deepEqual(await listTree(root), before);
      });

      await t.step("an existing system registry is left alone by install and purge", async () => {
        const etc = join(root, "etc/openshell");
        await Deno.mkdir(join(etc, "gateways/corp"), { recursive: true });
        const corp = JSON.stringify(
          { name: "corp", gateway_endpoint: "https://corp:8443", is_remote: true, gateway_port: 0 },
          null,
          2,
        );
        await Deno.writeTextFile(join(etc, "gateways/corp/metadata.json"), corp);
        await Deno.writeTextFile(join(etc, "active_gateway"), "corp");
        await mustInChroot(root, ["dpkg", "-i", "/tmp/openshell.deb"]);
        assert.equal(await Deno.readTextFile(join(etc, "active_gateway")), "corp");
        assert.ok(existsSync(join(etc, "gateways/openshell/metadata.json")));
        await mustInChroot(root, ["dpkg", "--purge", "openshell"]);
        assert.equal(await Deno.readTextFile(join(etc, "active_gateway")), "corp");
        assert.equal(await Deno.readTextFile(join(etc, "gateways/corp/metadata.json")), corp);
        assert.equal(existsSync(join(etc, "gateways/openshell")), false);
        assert.equal(existsSync(join(root, "usr/lib/openshell")), false);
      });
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
