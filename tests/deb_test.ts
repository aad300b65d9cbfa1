/**
 * The Debian package, built by `deno task package:deb`, checked by lintian, installed with dpkg
 * into a real debootstrap'd Debian bookworm root, used there, and purged. Slow: the chroot is
 * made once and cached under /var/cache/openshell-test; each run works on an overlay of it.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import denoJson from "../deno.json" with { type: "json" };
import type { CommandResult } from "./_helpers/run_command.ts";
import {
  buildSourceDeb,
  cachedDebianRoot,
  debianMirror,
  mustRunHost,
  overlayRoot,
  runHost,
} from "./_helpers/debian_root.ts";

const IS_ROOT = Deno.uid() === 0;
const HAS_PIUPARTS = existsSync("/usr/sbin/piuparts");

if (!IS_ROOT) console.error("deb test: needs root for chroot and mount; not run");
if (IS_ROOT && !HAS_PIUPARTS) {
  console.error("deb test: piuparts is missing (scripts/setup.sh --test)");
}

const run = runHost;
const mustRun = mustRunHost;

/** A writable root over the cached chroot, with /proc mounted; all undone on dispose. */
async function chrootOverlay(): Promise<{ root: string } & AsyncDisposable> {
  return await overlayRoot(await cachedDebianRoot("bookworm-chroot"), { proc: true });
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
        deb = await buildSourceDeb(out); // deno task package:deb --source, once per inputs
        const arch = (await mustRun("dpkg", ["--print-architecture"])).trim();
        assert.equal(deb, join(out, `openshell_${denoJson.version}_${arch}.deb`));
        const listing = await mustRun("dpkg-deb", ["-c", deb]);
        for (
          const path of [
            "./usr/bin/openshell",
            "./usr/lib/openshell/deno",
            "./usr/lib/openshell/src/main.ts",
            "./etc/openshell/gateways/local/metadata.json",
            "./lib/systemd/system/openshell-gateway@.service",
            "./usr/lib/systemd/user/openshell-gateway@.service",
            "./usr/libexec/openshell/youki",
            "./usr/lib/openshell/system-gateway-dir",
            "./usr/share/bash-completion/completions/openshell",
            "./usr/share/zsh/vendor-completions/_openshell",
            "./usr/share/fish/vendor_completions.d/openshell.fish",
            "./usr/share/man/man1/openshell.1.gz",
          ]
        ) assert.ok(listing.includes(` ${path}\n`), `${path} is not in the package`);
        const fields = await mustRun("dpkg-deb", ["-f", deb, "Depends", "Recommends", "Suggests"]);
        assert.match(fields, /^Depends: .*libseccomp2/m);
        assert.match(fields, /^Recommends: runc$/m);
        assert.doesNotMatch(fields, /Suggests/);
        const control = await mustRun("dpkg-deb", ["-I", deb, "conffiles"]);
        assert.equal(control.trim(), "/etc/openshell/gateways/local/metadata.json");
        for (
          const unit of ["lib/systemd/system", "usr/lib/systemd/user"].map((dir) =>
            `./${dir}/openshell-gateway@.service`
          )
        ) {
          const extract = `dpkg-deb --fsys-tarfile "$1" | tar -xOf - "$2"`;
          const text = await mustRun("sh", ["-c", extract, "sh", deb, unit]);
          assert.match(
            text,
            /^ExecStart=\/usr\/bin\/openshell serve --name %i (--auth token )?\$OPENSHELL_SERVE_ARGS$/m,
          );
          assert.match(text, /^Type=notify$/m);
        }
      });

      await t.step("lintian reports no error and no warning", async () => {
        const result = await run("lintian", ["--tag-display-limit", "0", deb]);
        const found = result.stdout.split("\n").filter((line) => /^[EW]:/.test(line));
        assert.deepEqual(found, [], result.stdout);
      });

      await using chroot = await chrootOverlay();
      const root = chroot.root;
      await Deno.copyFile(deb, join(root, "tmp/openshell.deb"));
      const before = await listTree(root);

      await t.step(
        "dpkg installs it; the program runs and the system gateway is seeded",
        async () => {
          await mustInChroot(root, ["dpkg", "-i", "/tmp/openshell.deb"]);
          // postinst ran the installed program with a throwaway Deno cache, not root's.
          assert.equal(existsSync(join(root, "root/.cache/openshell")), false);
          assert.equal(
            (await mustInChroot(root, ["openshell", "--version"])).trim(),
            `openshell ${denoJson.version}`,
          );
          const youki = await mustInChroot(root, ["/usr/libexec/openshell/youki", "--version"]);
          assert.match(youki, /^youki version:? 0\.7\.0/);
          const metadata = JSON.parse(
            await Deno.readTextFile(join(root, "etc/openshell/gateways/local/metadata.json")),
          );
          assert.deepEqual(metadata, {
            name: "local",
            gateway_endpoint: "http://127.0.0.1:8090",
            is_remote: false,
            gateway_port: 8090,
            auth_mode: "plaintext",
          });
          assert.equal(
            await Deno.readTextFile(join(root, "etc/openshell/active_gateway")),
            "local",
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
            /\/etc\/openshell\/gateways\/local\/metadata\.json [0-9a-f]{32}/,
          );
        },
      );

      await t.step({
        name: "openshell gateway list shows the system gateway, and gateway remove refuses it",
        async fn() {
          const table = await mustInChroot(root, ["openshell", "gateway", "list"]);
          assert.match(table, /local.*http:\/\/127\.0\.0\.1:8090.*system/);
          const rows = JSON.parse(
            await mustInChroot(root, ["openshell", "gateway", "list", "-o", "json"]),
          );
          assert.deepEqual(rows, [{
            active: true,
            auth: "plaintext",
            endpoint: "http://127.0.0.1:8090",
            is_remote: false,
            name: "local",
            remote_host: null,
            resolved_host: null,
            served: false,
            source: "system",
            type: "local",
          }]);
          const asNobody = await inChroot(root, ["openshell", "gateway", "list", "-o", "json"], {
            nobody: true,
          });
          assert.equal(asNobody.code, 0, asNobody.stderr);
          assert.deepEqual(JSON.parse(asNobody.stdout), rows);
          const removal = await inChroot(root, ["openshell", "gateway", "remove", "local"]);
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
        assert.ok(existsSync(join(etc, "gateways/local/metadata.json")));
        await mustInChroot(root, ["dpkg", "--purge", "openshell"]);
        assert.equal(await Deno.readTextFile(join(etc, "active_gateway")), "corp");
        assert.equal(await Deno.readTextFile(join(etc, "gateways/corp/metadata.json")), corp);
        assert.equal(existsSync(join(etc, "gateways/local")), false);
        assert.equal(existsSync(join(root, "usr/lib/openshell")), false);
      });
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "a .deb built with --system-dir seeds and reads that registry; purge acts on it",
  ignore: !IS_ROOT,
  sanitizeResources: false,
  async fn(t) {
    const out = await Deno.makeTempDir({ prefix: "openshell-deb-out-" });
    const moved = "/usr/share/openshell-registry";
    try {
      const deb = await buildSourceDeb(out, "--system-dir", moved);
      await using chroot = await chrootOverlay();
      const root = chroot.root;
      await Deno.copyFile(deb, join(root, "tmp/openshell.deb"));
      const before = await listTree(root);

      await t.step("installed, the program reads the moved registry with no variable", async () => {
        await mustInChroot(root, ["dpkg", "-i", "/tmp/openshell.deb"]);
        assert.equal(existsSync(join(root, "etc/openshell")), false);
        assert.equal(await Deno.readTextFile(join(root, moved, "active_gateway")), "local");
        const rows = JSON.parse(
          await mustInChroot(root, ["openshell", "gateway", "list", "-o", "json"]),
        );
        assert.deepEqual(
          rows.map((
            r: { name: string; source: string; active: boolean },
          ) => [r.name, r.source, r.active]),
          [["local", "system", true]],
        );
        const origin = await mustInChroot(root, ["openshell", "gateway", "list", "--show-origin"]);
        assert.match(origin, new RegExp(`${moved}/gateways/local/metadata\\.json`));
      });

      await t.step("the variable still overrides the installed default", async () => {
        const other = join(root, "srv/reg/gateways/x");
        await Deno.mkdir(other, { recursive: true });
        await Deno.writeTextFile(
          join(other, "metadata.json"),
          '{"name":"x","gateway_endpoint":"http://127.0.0.1:7","is_remote":false,"gateway_port":7}',
        );
        const rows = JSON.parse(
          await mustInChroot(root, [
            "OPENSHELL_SYSTEM_GATEWAY_DIR=/srv/reg",
            "openshell",
            "gateway",
            "list",
            "-o",
            "json",
          ]),
        );
        assert.deepEqual(rows.map((r: { name: string }) => r.name), ["x"]);
        await Deno.remove(join(root, "srv/reg"), { recursive: true });
      });

      await t.step("dpkg --purge removes the moved registry it seeded", async () => {
        await mustInChroot(root, ["dpkg", "--purge", "openshell"]);
        assert.equal(existsSync(join(root, moved)), false);
        assert.deepEqual(await listTree(root), before);
      });
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "piuparts: install and purge leave nothing behind, and version N upgrades to N+1",
  ignore: !IS_ROOT || !HAS_PIUPARTS,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "openshell-deb-out-" });
    try {
      // Version N is what apt knows (a local repository); N+1 is the package under test.
      const repo = join(out, "repo");
      await Deno.mkdir(repo);
      await buildSourceDeb(repo);
      const next = await buildSourceDeb(out, "--version", `${denoJson.version}+1`);
      const packages = await mustRun("dpkg-scanpackages", ["."], { cwd: repo });
      await Deno.writeTextFile(join(repo, "Packages"), packages);
      const result = await run("piuparts", [
        "--existing-chroot",
        await cachedDebianRoot("bookworm-chroot"),
        "--distribution",
        "bookworm",
        "--mirror",
        await debianMirror(),
        "--bindmount",
        repo,
        "--extra-repo",
        `deb [trusted=yes] file://${repo} ./`,
        next,
      ]);
      const log = result.stdout + result.stderr;
      assert.equal(result.code, 0, log.split("\n").slice(-60).join("\n"));
      assert.match(log, /PASS: Installation and purging test\./);
      assert.match(log, /PASS: Installation, upgrade and purging tests\./);
    } finally {
      await Deno.remove(out, { recursive: true }).catch(() => {});
    }
  },
});
