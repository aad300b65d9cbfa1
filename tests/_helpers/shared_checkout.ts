/**
 * The checkout as the other users the tests switch to (the test user, nobody) can run it.
 * A checkout they can read is used as it is. One they cannot (a clone in root's 0700 home) is
 * copied once per test run, with the Deno that runs it, into a root-owned directory under
 * /tmp that everyone can read; copies of earlier runs are removed.
 *
 * @module
 */
import { join } from "node:path";
import { REPO } from "./sandbox.ts";
import { runCommand } from "./run_command.ts";
import { asNobody } from "./test_users.ts";
import { pathExists } from "../../src/files/mod.ts";

/** What the copy holds: what running the program and install.sh needs. */
const PARTS = ["src", "deno.json", "deno.lock", "node_modules", "install.sh", "rootfs/dist"];
/** Where the Deno sits in a checkout, as scripts/setup.sh installs it (install.sh looks there). */
const DENO_IN_CHECKOUT = ".tools/node_modules/deno/deno";
const COPIES = "/tmp/openshell-test-checkouts";

/** A checkout other users can run: its root, its CLI entry and the Deno that runs it. */
export interface SharedCheckout {
  repo: string;
  main: string;
  deno: string;
}

/** This checkout, or this run's copy of it when other users cannot reach it. */
export const SHARED_CHECKOUT: SharedCheckout = await sharedCheckout();

/** `deno run -A --quiet src/main.ts ...args` of {@linkcode SHARED_CHECKOUT}. */
export function sharedCliArgv(args: string[]): string[] {
  return [SHARED_CHECKOUT.deno, "run", "-A", "--quiet", SHARED_CHECKOUT.main, ...args];
}

function checkoutAt(repo: string, deno: string): SharedCheckout {
  return { repo, main: join(repo, "src/main.ts"), deno };
}

async function sharedCheckout(): Promise<SharedCheckout> {
  const here = checkoutAt(REPO, Deno.execPath());
  // Only root switches users; an ordinary user's run skips those tests.
  if (Deno.uid() !== 0 || await othersReach(here)) return here;
  const copy = join(COPIES, String(Deno.pid));
  const shared = checkoutAt(copy, join(copy, DENO_IN_CHECKOUT));
  await ownDirectory(COPIES);
  // Every test file of this run (one process) wants the same copy: one makes it.
  using lock = await Deno.open(join(COPIES, `${Deno.pid}.lock`), {
    create: true,
    write: true,
    mode: 0o600,
  });
  await lock.lock(true);
  if (await pathExists(join(copy, ".complete"))) return shared;
  await removeEarlierCopies();
  await Deno.remove(copy, { recursive: true }).catch(() => {});
  await copyCheckout(copy);
  await Deno.mkdir(join(copy, DENO_IN_CHECKOUT, ".."), { recursive: true, mode: 0o755 });
  await run(["cp", Deno.execPath(), shared.deno]);
  await run(["chmod", "-R", "a+rX,go-w", copy]);
  await Deno.writeTextFile(join(copy, ".complete"), "");
  return shared;
}

/** Copies into `target` (made if missing) what running the program and install.sh needs. */
export async function copyCheckout(target: string): Promise<void> {
  await Deno.mkdir(join(target, "rootfs"), { recursive: true, mode: 0o755 });
  for (const part of PARTS) {
    if (!await pathExists(join(REPO, part))) continue;
    await run(["cp", "-a", join(REPO, part), join(target, part)]);
  }
}

/** Whether nobody can read the checkout's entry, install.sh and run its Deno. */
async function othersReach(checkout: SharedCheckout): Promise<boolean> {
  const probe = await runCommand(
    asNobody([
      "sh",
      "-c",
      'test -r "$1" && test -r "$2" && test -x "$3"',
      "sh",
      checkout.main,
      join(checkout.repo, "install.sh"),
      checkout.deno,
    ]),
    { env: { PATH: "/usr/bin:/bin" } },
  );
  return probe.code === 0;
}

/** Makes `dir` (0755, this user's), refusing one someone else made or a symbolic link. */
async function ownDirectory(dir: string): Promise<void> {
  await Deno.mkdir(dir, { mode: 0o755 }).catch((e) => {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  });
  const info = await Deno.lstat(dir);
  if (!info.isDirectory || info.uid !== Deno.uid() || (info.mode! & 0o022) !== 0) {
    throw new Error(`${dir} is not a directory only this user may write`);
  }
}

/** Removes the copies (and locks) of runs whose process is gone. */
async function removeEarlierCopies(): Promise<void> {
  for await (const entry of Deno.readDir(COPIES)) {
    const pid = entry.name.replace(/\.lock$/, "");
    if (!/^\d+$/.test(pid) || pid === String(Deno.pid) || await pathExists(`/proc/${pid}`)) {
      continue;
    }
    await Deno.remove(join(COPIES, entry.name), { recursive: true }).catch(() => {});
  }
}

async function run(argv: string[]): Promise<void> {
  const result = await runCommand(argv, { env: { PATH: "/usr/bin:/bin" } });
  if (result.code !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr}`);
}
