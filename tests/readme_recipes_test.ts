/**
 * The README's recipes run as written. A recipe is a fenced `sh` block (or the `$ ` lines of a
 * `console` block) right after a `<!-- recipe: USER -->` line; it runs under `sh -eu` as USER
 * (root or openshell-test) in a fresh world: a network namespace of its own (its own ports,
 * no way out), its own copy of the checkout as the working directory, HOME, XDG dirs and system
 * registry in temp dirs, `openshell` on PATH running that copy, podman with its storage,
 * networks and containers.conf in the world, and for root a DESTDIR so install.sh writes
 * there. Recipes run concurrently, each in its own world, except podman's: they run in README
 * order in one world (they share the image and port 8090), twice, since what one leaves behind
 * must not stop the next run.
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { onPath, runCommand } from "./_helpers/run_command.ts";
import { denoDir, REPO, type Sandbox, writeProgramLauncher } from "./_helpers/sandbox.ts";
import { createServeSandbox } from "./_helpers/serve_fixture.ts";
import { copyCheckout, SHARED_CHECKOUT } from "./_helpers/shared_checkout.ts";
import { asUser, TEST_USER, userIds } from "./_helpers/test_users.ts";
import { pathExists } from "../src/files/mod.ts";

/** One recipe: who runs it, its shell text, and where it starts in the README. */
interface Recipe {
  user: string;
  script: string;
  line: number;
}

const MARKER = /^<!-- recipe: (\S+) -->\n\n```(sh|console)\n([\s\S]*?)^```$/gm;

/** The marked recipes of `markdown`, in order. A console block's commands are its `$ ` lines. */
function recipesOf(markdown: string): Recipe[] {
  return [...markdown.matchAll(MARKER)].map((match) => {
    const [, user, kind, body] = match as unknown as [string, string, string, string];
    const script = kind === "sh" ? body : body.split("\n").filter((l) => l.startsWith("$ "))
      .map((l) => l.slice(2)).join("\n") + "\n";
    return { user, script, line: markdown.slice(0, match.index).split("\n").length + 3 };
  });
}

Deno.test("README recipes: the marker, the user and a console block's commands", () => {
  const text = [
    "text",
    "<!-- recipe: root -->",
    "",
    "```sh",
    "echo one \\",
    "  two",
    "```",
    "",
    "```sh",
    "echo unmarked",
    "```",
    "<!-- recipe: openshell-test -->",
    "",
    "```console",
    "$ openshell --version",
    "0.1.0",
    "$ true",
    "```",
  ].join("\n");
  assert.deepEqual(recipesOf(text), [
    { user: "root", script: "echo one \\\n  two\n", line: 5 },
    { user: "openshell-test", script: "openshell --version\ntrue\n", line: 15 },
  ]);
});

const README = await Deno.readTextFile(join(REPO, "README.md"));
const RECIPES = recipesOf(README);
const testUser = await userIds(TEST_USER);
const skip = Deno.uid() !== 0
  ? "not root (recipes run as root and as openshell-test)"
  : testUser === undefined
  ? `no user ${TEST_USER} (scripts/setup.sh --test creates it)`
  : !(await onPath("podman"))
  ? "podman is not installed (scripts/setup.sh --test installs it)"
  : undefined;
if (skip) console.error(`README recipe tests skipped: ${skip}`);

const usesPodman = (recipe: Recipe) => /^\s*podman /m.test(recipe.script);

/** A fresh world for `user`'s recipes. */
interface World extends AsyncDisposable {
  sandbox: Sandbox;
  checkout: string;
  env: Record<string, string>;
  run(recipe: Recipe): Promise<void>;
}

async function createWorld(user: string): Promise<World> {
  const owner = user === "root" ? undefined : await userIds(user);
  if (user !== "root" && owner === undefined) throw new Error(`unknown recipe user "${user}"`);
  const sandbox = await createServeSandbox(owner);
  const root = sandbox.root;
  const checkout = join(root, "openshell");
  const bin = join(root, "bin");
  await Deno.mkdir(bin);
  await copyCheckout(checkout);
  // The Deno another user can run: this run's shared copy when the checkout is out of reach.
  const deno = owner ? SHARED_CHECKOUT.deno : Deno.execPath();
  await writeProgramLauncher(join(bin, "openshell"), [
    deno,
    "run",
    "-A",
    "--quiet",
    join(checkout, "src/main.ts"),
  ]);
  const podman = join(root, "podman");
  await Deno.writeTextFile(
    join(bin, "podman"),
    `#!/bin/sh\nexec /usr/bin/podman --root '${podman}/storage' --runroot '${podman}/run' \\
  --storage-driver vfs --cgroup-manager cgroupfs --events-backend none "$@"\n`,
    { mode: 0o755 },
  );
  // Root's recipes write `sudo` for the reader; the test already is root.
  if (!owner) {
    await Deno.writeTextFile(join(bin, "sudo"), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
  }
  // This host's hard limits are below podman's default ulimits (see the README); networks
  // kube play creates stay in the world.
  const conf = join(root, "containers.conf");
  await Deno.writeTextFile(
    conf,
    `[containers]\ndefault_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n` +
      `[network]\nnetwork_config_dir = "${podman}/networks"\n`,
  );
  const env: Record<string, string> = {
    ...sandbox.env,
    PATH: `${bin}:${dirname(deno)}:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    CONTAINERS_CONF: conf,
    DENO_DIR: owner ? join(sandbox.home, ".cache/deno") : denoDir(),
  };
  if (!owner) env.DESTDIR = join(root, "destdir");
  if (owner) await chownTree(checkout, owner);
  const world: World = {
    sandbox,
    checkout,
    env,
    async run(recipe) {
      const script = ["sh", "-eux", "-c", recipe.script];
      // A network of its own: ports (podman's 8090 too) are the world's, and nothing leaves.
      const argv = [
        "unshare",
        "-n",
        "sh",
        "-c",
        'ip link set lo up && exec "$@"',
        "sh",
        ...(owner ? asUser(user, script) : script),
      ];
      const result = await runCommand(argv, {
        env,
        cwd: checkout,
        timeoutMs: 240_000,
      });
      assert.equal(
        result.code,
        0,
        `README line ${recipe.line}, as ${user}:\n${recipe.script}\n${result.stdout}\n${result.stderr}`,
      );
    },
    async [Symbol.asyncDispose]() {
      await stopServed(world, owner ? user : undefined);
      if (await pathExists(podman)) {
        for (
          const args of [
            ["pod", "rm", "-a", "-f", "-t", "0"],
            ["rm", "-a", "-f", "-t", "0"],
            ["volume", "rm", "-a", "-f"],
            ["secret", "rm", "-a"],
            ["rmi", "-a", "-f"],
          ]
        ) await runCommand([join(bin, "podman"), ...args], { env });
      }
      await sandbox[Symbol.asyncDispose]();
    },
  };
  return world;
}

/** Stops whatever gateway a failed recipe left served in the world. */
async function stopServed(world: World, user: string | undefined): Promise<void> {
  const gateways = join(world.sandbox.config, "openshell/gateways");
  if (!await pathExists(gateways)) return;
  for await (const entry of Deno.readDir(gateways)) {
    const argv = [join(world.sandbox.root, "bin/openshell"), "gateway", "stop", entry.name];
    await runCommand(user ? asUser(user, argv) : argv, { env: world.env, cwd: world.checkout });
  }
}

async function chownTree(path: string, owner: { uid: number; gid: number }): Promise<void> {
  const chown = await runCommand(["chown", "-R", `${owner.uid}:${owner.gid}`, path], {
    env: { PATH: "/usr/bin:/bin" },
  });
  assert.equal(chown.code, 0, chown.stderr);
}

Deno.test({
  name: "README recipes run as written, each as the user it names, in a world of its own",
  ignore: skip !== undefined,
  async fn() {
    assert.ok(RECIPES.some(usesPodman), "the README marks its podman recipes");
    const podman = RECIPES.filter(usesPodman);
    for (const recipe of podman) assert.equal(recipe.user, "root", "podman recipes run as root");
    const runPodman = async () => {
      await using world = await createWorld("root");
      for (const pass of [1, 2]) {
        for (const recipe of podman) {
          await world.run(recipe).catch((error) => {
            throw new Error(`pass ${pass}: ${error.message}`);
          });
        }
      }
    };
    const runAlone = async (recipe: Recipe) => {
      await using world = await createWorld(recipe.user);
      await world.run(recipe);
    };
    const outcomes = await Promise.allSettled([
      runPodman(),
      ...RECIPES.filter((r) => !usesPodman(r)).map(runAlone),
    ]);
    const failures = outcomes.filter((o) => o.status === "rejected")
      .map((o) => String((o as PromiseRejectedResult).reason));
    assert.deepEqual(failures, []);
  },
});
