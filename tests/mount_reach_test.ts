import assert from "node:assert/strict";
import { join } from "node:path";
import { buildOciConfig } from "../src/container/oci_config.ts";
import { reachBlocker } from "../src/doctor/_reach_blocker.ts";
import {
  canReach,
  containerMountSources,
  type PathStep,
  pathSteps,
  type PathUse,
  reachBlock,
  unreachableMount,
} from "../src/runtime/mod.ts";

const WHO = { uid: 65532, gid: 65532 };
const dir = (path: string, mode: number, uid = 0, gid = 0): PathStep => ({
  path,
  isDirectory: true,
  mode,
  uid,
  gid,
});
const file = (path: string, mode: number, uid = 0, gid = 0): PathStep => ({
  ...dir(path, mode, uid, gid),
  isDirectory: false,
});

/** The bits a use needs of the final path, written out independently of the code. */
function needed(use: PathUse, isDirectory: boolean): number {
  return use === "search"
    ? (isDirectory ? 1 : 0)
    : { read: 4, write: 6, execute: 5 }[use] | (isDirectory ? 1 : 0);
}

Deno.test("reachBlock: every mode of a directory above, for owner, group and other", () => {
  for (let mode = 0; mode < 0o1000; mode++) {
    for (
      const [owner, group, bitsOf] of [
        [65532, 0, (m: number) => m >> 6],
        [0, 65532, (m: number) => m >> 3],
        [0, 0, (m: number) => m],
        [1000, 1000, (m: number) => m],
      ] as const
    ) {
      const steps = [dir("/", 0o755), dir("/a", mode, owner, group), dir("/a/b", 0o755)];
      const block = reachBlock(steps, WHO, "read");
      const searchable = (bitsOf(mode) & 1) === 1;
      assert.equal(block === undefined, searchable, `${mode.toString(8)} ${owner}:${group}`);
      if (block) assert.deepEqual(block, { step: steps[1], lacks: "search" });
    }
  }
});

Deno.test("reachBlock: every mode of the final path, for each use, file or directory", () => {
  for (let mode = 0; mode < 0o1000; mode++) {
    for (const use of ["search", "read", "write", "execute"] as const) {
      for (const isDirectory of [false, true]) {
        const last = isDirectory ? dir("/a", mode) : file("/a", mode);
        const block = reachBlock([dir("/", 0o755), last], WHO, use);
        const need = needed(use, isDirectory);
        assert.equal(block === undefined, ((mode & 7) & need) === need, `${mode} ${use}`);
        if (block) assert.equal(block.lacks, use);
      }
    }
  }
});

Deno.test("reachBlock: supplementary groups count, root passes everywhere", () => {
  const steps = [dir("/", 0o755), dir("/g", 0o750, 0, 42), file("/g/f", 0o640, 0, 42)];
  assert.ok(reachBlock(steps, WHO, "read"));
  assert.equal(reachBlock(steps, { ...WHO, groups: [42] }, "read"), undefined);
  assert.equal(reachBlock([dir("/", 0), dir("/x", 0)], { uid: 0, gid: 0 }, "write"), undefined);
});

Deno.test("doctor's reach blocker: serve's rule, told with the mode, owner and missing permission", () => {
  const step = (path: string, uid: number, mode: number, isDirectory = true) => ({
    path,
    uid,
    gid: uid,
    mode,
    isDirectory,
  });
  const who = { uid: 65532, gid: 65532 };
  const root = step("/", 0, 0o755);
  assert.equal(reachBlocker([root, step("/opt", 0, 0o711)], who, "search"), undefined);
  assert.deepEqual(
    reachBlocker([root, step("/root", 0, 0o700), step("/root/x", 0, 0o755)], who, "read"),
    {
      path: "/root",
      why: "mode 0700, owner 0:0: no search permission for uid 65532",
    },
  );
  assert.deepEqual(reachBlocker([root, step("/bin/p", 0, 0o750, false)], who, "execute"), {
    path: "/bin/p",
    why: "mode 0750, owner 0:0: no read and execute permission for uid 65532",
  });
  assert.equal(reachBlocker([root, step("/bin/p", 0, 0o755, false)], who, "execute"), undefined);
  assert.deepEqual(
    reachBlocker([root, step("/src", 0, 0o711)], who, "read")?.why,
    "mode 0711, owner 0:0: no read and search permission for uid 65532",
  );
  assert.equal(reachBlocker([root, step("/s", 65532, 0o700)], who, "read"), undefined);
  assert.equal(reachBlocker([step("/", 0, 0o700)], { uid: 0, gid: 0 }, "read"), undefined);
});

Deno.test("pathSteps walks from / through symlinks to the real path; canReach applies it", async () => {
  const root = await Deno.makeTempDir({ prefix: "openshell-reach-" });
  try {
    await Deno.chmod(root, 0o755);
    await Deno.mkdir(join(root, "closed/inner"), { recursive: true });
    await Deno.chmod(join(root, "closed"), 0o700);
    await Deno.writeTextFile(join(root, "closed/inner/f"), "x", { mode: 0o644 });
    await Deno.symlink(join(root, "closed/inner"), join(root, "link"));
    const steps = await pathSteps(join(root, "link/f"));
    const real = await Deno.realPath(join(root, "closed/inner/f"));
    assert.equal(steps[0]!.path, "/");
    assert.equal(steps.at(-1)!.path, real);
    assert.equal(steps.at(-2)!.path, join(await Deno.realPath(root), "closed/inner"));
    const closed = steps.find((s) => s.path.endsWith("/closed"))!;
    assert.equal(closed.mode, 0o700);
    assert.equal(closed.uid, Deno.uid());
    assert.equal(await canReach(join(root, "link/f"), WHO, "read"), false);
    await Deno.chmod(join(root, "closed"), 0o711);
    assert.equal(await canReach(join(root, "link/f"), WHO, "read"), true);
    assert.equal(await canReach(join(root, "link/f"), WHO, "write"), false);
    assert.equal(await canReach(join(root, "missing"), WHO, "read"), false);
    // A tree is reachable only when everything in it is.
    assert.equal(await canReach(join(root, "closed"), WHO, "read"), false, "0711 is not listable");
    await Deno.chmod(join(root, "closed"), 0o755);
    assert.equal(await canReach(join(root, "closed"), WHO, "read"), true);
    await Deno.chmod(join(root, "closed/inner/f"), 0o600);
    assert.equal(await canReach(join(root, "closed"), WHO, "read"), false, "a 0600 file inside");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the preflight names the container's mounts and the first directory in the way", () => {
  const config = buildOciConfig({
    name: "x",
    listen: "127.0.0.1:1",
    version: "1",
    hostUid: 65532,
    hostGid: 65532,
    rootfs: "/c/rootfs",
    stateDir: "/s",
    secretsDir: "/t",
    binary: "/b",
    sourceDir: "/src",
    cgroupsPath: undefined,
    hardLimits: {},
    seccomp: undefined,
    resources: {},
  });
  const sources = containerMountSources(config);
  assert.deepEqual(sources.map((s) => [s.label, s.path, s.use]), [
    ["the gateway rootfs", "/c/rootfs", "read"],
    ["the gateway's state dir", "/s", "write"],
    ["the launch's secrets dir", "/t", "read"],
    ["the program", "/b", "execute"],
    ["the program's sources", "/src", "read"],
  ]);
  const open = [dir("/", 0o755), dir("/x", 0o700, 65532, 65532)];
  const facts = sources.map((s) => [s, open] as const);
  assert.equal(unreachableMount(facts, WHO), undefined);
  const blocked = unreachableMount(
    [[sources[0]!, [dir("/", 0o755), dir("/c", 0o700), dir("/c/rootfs", 0o755)]]],
    WHO,
  );
  assert.equal(
    blocked?.message,
    'uid 65532 (the container\'s root) cannot reach the gateway rootfs "/c/rootfs": "/c" (mode 0700, owner 0:0) is not searchable by it',
  );
  assert.match(blocked!.hint!, /chmod o\+x "\/c"/);
  assert.match(blocked!.hint!, /XDG_CACHE_HOME/);
  const state = unreachableMount(
    [[sources[1]!, [dir("/", 0o755), dir("/s", 0o755, 0, 0)]]],
    WHO,
  );
  assert.match(state!.message, /state dir "\/s": "\/s" \(mode 0755, owner 0:0\) is not writable/);
  assert.match(state!.hint!, /--state-dir/);
  assert.match(unreachableMount([[sources[3]!, undefined]], WHO)!.message, /does not exist/);
});
