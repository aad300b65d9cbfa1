import assert from "node:assert/strict";
import {
  cgroupDelegated,
  cgroupMounts,
  layoutFromMounts,
  mayCreateIn,
} from "../src/runtime/cgroup_facts.ts";
import { userNamespacesAllowed } from "../src/runtime/user_namespaces.ts";

const HYBRID_MOUNTS = `tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu cgroup rw,relatime,cpu 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup ro,nosuid,relatime,memory 0 0
cgroup /sys/fs/cgroup/systemd cgroup rw,relatime,name=systemd 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
proc /proc proc rw 0 0
`;

Deno.test("cgroup mounts: controllers per hierarchy, read-only ones marked, named ones left out", () => {
  assert.deepEqual(cgroupMounts(HYBRID_MOUNTS), [
    { controllers: ["cpu"], target: "/sys/fs/cgroup/cpu", version: 1, readOnly: false },
    {
      controllers: ["cpu", "cpuacct"],
      target: "/sys/fs/cgroup/cpu,cpuacct",
      version: 1,
      readOnly: false,
    },
    { controllers: ["memory"], target: "/sys/fs/cgroup/memory", version: 1, readOnly: true },
    { controllers: ["cgroup2"], target: "/sys/fs/cgroup/unified", version: 2, readOnly: false },
  ]);
});

Deno.test("cgroup layout from the mounts: unified, hybrid, legacy", () => {
  assert.equal(layoutFromMounts(cgroupMounts(HYBRID_MOUNTS)), "hybrid");
  assert.equal(
    layoutFromMounts(cgroupMounts("cgroup2 /sys/fs/cgroup cgroup2 rw,nsdelegate 0 0\n")),
    "unified",
  );
  assert.equal(
    layoutFromMounts(cgroupMounts("cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n")),
    "legacy",
  );
  assert.equal(layoutFromMounts(cgroupMounts("cgroup2 /mnt/cg cgroup2 rw 0 0\n")), "legacy");
});

Deno.test("creating a cgroup needs write and search on its parent; root always may", () => {
  const dir = (uid: number, gid: number, mode: number) => ({ uid, gid, mode });
  assert.equal(mayCreateIn(dir(0, 0, 0o755), 0, [0]), true);
  assert.equal(mayCreateIn(dir(0, 0, 0o755), 1000, [1000]), false);
  assert.equal(mayCreateIn(dir(1000, 1000, 0o755), 1000, [1000]), true);
  assert.equal(mayCreateIn(dir(1000, 1000, 0o555), 1000, [1000]), false);
  assert.equal(mayCreateIn(dir(0, 50, 0o775), 1000, [1000, 50]), true);
  assert.equal(mayCreateIn(dir(0, 50, 0o775), 1000, [1000]), false);
  assert.equal(mayCreateIn(dir(0, 0, 0o777), 1000, [1000]), true);
});

Deno.test("delegation: every v1 controller writable; unified needs none", () => {
  const access = (writable: boolean[]) =>
    writable.map((w, i) => ({ controller: `c${i}`, dir: `/d${i}`, writable: w }));
  assert.equal(cgroupDelegated({ layout: "unified", access: [] }), true);
  assert.equal(cgroupDelegated({ layout: "hybrid", access: access([true, true]) }), true);
  assert.equal(cgroupDelegated({ layout: "hybrid", access: access([true, false]) }), false);
  assert.equal(cgroupDelegated({ layout: "legacy", access: [] }), false);
});

Deno.test("user namespaces: either setting at 0 forbids them", () => {
  for (const max of [undefined, 0, 15000]) {
    for (const clone of [undefined, 0, 1]) {
      assert.equal(
        userNamespacesAllowed({ maxUserNamespaces: max, unprivilegedClone: clone }),
        max !== 0 && clone !== 0,
      );
    }
  }
});
