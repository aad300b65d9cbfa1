/**
 * Debian bookworm roots for the package tests: made once with debootstrap and cached under
 * /var/cache/openshell-test, then used through an overlay so every run starts clean.
 *
 * @module
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type CommandResult, runCommand } from "./run_command.ts";
import { denoDir, REPO } from "./sandbox.ts";

const CACHE = "/var/cache/openshell-test";
const READY = ".openshell-test-ready";

/** Runs a host command with a small clean environment (Deno's directory on PATH). */
export function runHost(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CommandResult> {
  return runCommand([cmd, ...args], {
    cwd: options.cwd ?? "/",
    env: {
      PATH: `${join(Deno.execPath(), "..")}:/usr/sbin:/usr/bin:/sbin:/bin`,
      DENO_DIR: denoDir(),
      NO_COLOR: "1",
      LC_ALL: "C",
      ...options.env,
    },
  });
}

/** {@linkcode runHost}, failing the test with the command's output when it fails. */
export async function mustRunHost(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<string> {
  const result = await runHost(cmd, args, options);
  assert.equal(
    result.code,
    0,
    `${cmd} ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`,
  );
  return result.stdout;
}

/** The Debian mirror apt is configured with (deb822 or one-line sources). */
export async function debianMirror(): Promise<string> {
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

/**
 * The cached minimal bookworm root `name`, with `include` packages, made with debootstrap on
 * first use (or when the package list changed; the ready marker records it).
 */
export async function cachedDebianRoot(name: string, include: string[] = []): Promise<string> {
  const root = join(CACHE, name);
  const wanted = include.join(",");
  const marker = join(root, READY);
  if (existsSync(marker) && (await Deno.readTextFile(marker)).trim() === wanted) return root;
  const mirror = await debianMirror();
  const partial = `${root}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  await Deno.mkdir(CACHE, { recursive: true });
  console.error(`creating the bookworm root ${root} from ${mirror} (once)`);
  const includes = include.length ? [`--include=${wanted}`] : [];
  await mustRunHost("debootstrap", ["--variant=minbase", ...includes, "bookworm", partial, mirror]);
  await Deno.writeTextFile(join(partial, READY), `${wanted}\n`);
  await Deno.remove(root, { recursive: true }).catch(() => {});
  await Deno.rename(partial, root);
  return root;
}

/** A writable root over `lower`; with `proc`, /proc is mounted in it. All undone on dispose. */
export async function overlayRoot(
  lower: string,
  options: { proc?: boolean } = {},
): Promise<{ root: string } & AsyncDisposable> {
  const work = await Deno.makeTempDir({ prefix: "openshell-deb-test-" });
  const root = join(work, "root");
  const mounted: string[] = [];
  const cleanup = async () => {
    for (const point of mounted.reverse()) await runHost("umount", [point]);
    await Deno.remove(work, { recursive: true }).catch(() => {});
  };
  try {
    for (const dir of ["upper", "work", "root"]) await Deno.mkdir(join(work, dir));
    const overlay = await runHost("mount", [
      "-t",
      "overlay",
      "overlay",
      "-o",
      `lowerdir=${lower},upperdir=${join(work, "upper")},workdir=${join(work, "work")}`,
      root,
    ]);
    if (overlay.code === 0) mounted.push(root);
    else await mustRunHost("cp", ["-a", `${lower}/.`, root]); // no overlayfs here: a full copy
    if (options.proc) {
      await mustRunHost("mount", ["-t", "proc", "proc", join(root, "proc")]);
      mounted.push(join(root, "proc"));
    }
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { root, [Symbol.asyncDispose]: cleanup };
}

/**
 * What a package build reads, as one digest: every input file's path, size and mtime (the
 * program, its packaging, the rootfs, node_modules, the youki it takes) and the options.
 */
async function buildInputsDigest(options: string[]): Promise<string> {
  const youki = (await mustRunHost(join(REPO, "scripts/install-youki.sh"), ["--cached-path"]))
    .trim();
  const listing = await mustRunHost("sh", [
    "-c",
    'find src packaging scripts install.sh deno.json deno.lock rootfs/dist node_modules "$1" ' +
    "-name '.deno.lock*' -prune -o -type f -printf '%p %s %T@\\n' | LC_ALL=C sort",
    "sh",
    youki,
  ], { cwd: REPO });
  const bytes = new TextEncoder().encode(`${options.join("\0")}\n${listing}`);
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Builds the source .deb with `deno task package:deb ...options` and copies it into `output`;
 * its path there. A build of the same inputs is made once (test files running in parallel wait
 * for it) and kept under /var/cache/openshell-test/debs.
 */
export async function buildSourceDeb(output: string, ...options: string[]): Promise<string> {
  const key = await buildInputsDigest(options);
  const dir = join(CACHE, "debs", key);
  const lock = `${dir}.lock`;
  await Deno.mkdir(join(CACHE, "debs"), { recursive: true });
  for (;;) {
    if (existsSync(join(dir, "done"))) break;
    try {
      await Deno.mkdir(lock);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      // Another test file builds it; a lock older than a build can take is a crashed run's.
      const age = Date.now() - ((await Deno.stat(lock).catch(() => null))?.mtime?.getTime() ?? 0);
      if (age > 600_000) await Deno.remove(lock, { recursive: true }).catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 1000));
      continue;
    }
    try {
      // Builds of inputs that have not been asked for in two hours are dropped.
      for await (const entry of Deno.readDir(join(CACHE, "debs"))) {
        const path = join(CACHE, "debs", entry.name);
        const used = (await Deno.stat(path).catch(() => null))?.mtime?.getTime() ?? Date.now();
        if (!entry.name.endsWith(".lock") && Date.now() - used > 7_200_000) {
          await Deno.remove(path, { recursive: true }).catch(() => {});
        }
      }
      await Deno.mkdir(dir, { recursive: true });
      await mustRunHost(Deno.execPath(), [
        "task",
        "--quiet",
        "package:deb",
        "--source",
        ...options,
        "--output",
        dir,
      ], { cwd: REPO });
      await Deno.writeTextFile(join(dir, "done"), "");
    } finally {
      await Deno.remove(lock, { recursive: true });
    }
  }
  await Deno.utime(dir, new Date(), new Date());
  const deb = [...Deno.readDirSync(dir)].find((entry) => entry.name.endsWith(".deb"))?.name;
  assert.ok(deb, `no .deb in ${dir}`);
  await Deno.copyFile(join(dir, deb), join(output, deb));
  return join(output, deb);
}

/** The packages of the cached bookworm root that boots with systemd. */
export const SYSTEMD_ROOT_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "dbus",
  "libpam-systemd",
  "curl",
  "ca-certificates",
];

/** The packages of the root the package's own tests boot: shells find completions there, man finds pages. */
export const PACKAGE_ROOT_PACKAGES = [
  ...SYSTEMD_ROOT_PACKAGES,
  "bash-completion",
  "man-db",
  // Users' session buses, through which the maintainer scripts reach their systemd managers.
  "dbus-user-session",
];

/** A bookworm root booted with systemd-nspawn; commands run in it through nsenter. */
export interface BootedRoot extends AsyncDisposable {
  /** The container's root directory, as the host sees it. */
  root: string;
  /** Runs `args` in the container (as `user` through runuser), with a small clean environment. */
  run(args: string[], options?: { user?: string }): Promise<CommandResult>;
  /** {@linkcode BootedRoot.run}, failing the test when the command fails. */
  must(args: string[], options?: { user?: string }): Promise<string>;
  /** The `nsenter` command line that runs `args` in the container, for long-running ones. */
  argv(args: string[]): string[];
}

/**
 * Boots the cached systemd bookworm root on an overlay (clean every time) with
 * systemd-nspawn, sharing the host network; waits until systemd is running. `unified` boots it
 * with the pure cgroup v2 hierarchy a bookworm host has; without it, nspawn on a hybrid host
 * gives it the host's v1 controllers read-only. `bindRo` host paths appear read-only at the
 * same paths inside. `forPackage` boots the root with {@linkcode PACKAGE_ROOT_PACKAGES}. Dispose
 * sends SIGTERM to nspawn (by its pid) and removes the overlay.
 */
export async function bootDebianRoot(
  options: { unified: boolean; bindRo?: string[]; forPackage?: boolean },
): Promise<BootedRoot> {
  const overlay = await overlayRoot(
    options.forPackage
      ? await cachedDebianRoot("bookworm-systemd-package", PACKAGE_ROOT_PACKAGES)
      : await cachedDebianRoot("bookworm-systemd", SYSTEMD_ROOT_PACKAGES),
  );
  const nspawn = new Deno.Command("systemd-nspawn", {
    args: [
      "-q",
      "--register=no",
      "--keep-unit",
      "-D",
      overlay.root,
      ...(options.bindRo ?? []).map((path) => `--bind-ro=${path}`),
      "-b",
    ],
    env: {
      PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      ...(options.unified ? { SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: "1" } : {}),
    },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const stop = async () => {
    try {
      nspawn.kill("SIGTERM");
    } catch { /* already gone */ }
    const timer = setTimeout(() => {
      try {
        nspawn.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 20_000);
    await nspawn.status;
    clearTimeout(timer);
    await overlay[Symbol.asyncDispose]();
  };
  let leader = "";
  const env = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "NO_COLOR=1", "LC_ALL=C"];
  const argv = (
    args: string[],
  ) => ["nsenter", "-t", leader, "-a", "--", "env", "-i", ...env, ...args];
  const run = (args: string[], options: { user?: string } = {}) => {
    const inside = options.user === undefined
      ? args
      : ["runuser", "-u", options.user, "--", ...args];
    const [cmd, ...rest] = argv(inside);
    return runHost(cmd!, rest);
  };
  const must = async (args: string[], options: { user?: string } = {}) => {
    const result = await run(args, options);
    assert.equal(result.code, 0, `${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const children = await Deno.readTextFile(`/proc/${nspawn.pid}/task/${nspawn.pid}/children`)
        .catch(() => "");
      leader = children.trim().split(/\s+/)[0] ?? "";
      if (leader !== "") {
        const state = (await run(["systemctl", "is-system-running"])).stdout.trim();
        if (state === "running" || state === "degraded") break;
      }
      if (Date.now() > deadline) throw new Error("the container did not boot within 60 s");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { root: overlay.root, run, must, argv, [Symbol.asyncDispose]: stop };
}

/**
 * Adds the ordinary user `name` to a booted root with lingering, and waits until their user
 * manager answers (its private socket in their runtime dir); their uid.
 */
export async function addLingeringUser(box: BootedRoot, name: string): Promise<number> {
  await box.must(["useradd", "--create-home", "--shell", "/bin/sh", name]);
  const uid = Number((await box.must(["id", "-u", name])).trim());
  await box.must(["loginctl", "enable-linger", name]);
  const deadline = Date.now() + 30_000;
  while ((await box.run(["test", "-S", `/run/user/${uid}/systemd/private`])).code !== 0) {
    if (Date.now() > deadline) throw new Error(`${name}'s user manager did not start`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return uid;
}
