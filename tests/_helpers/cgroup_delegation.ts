/** A delegated v1 cgroup subtree for the rootless tests, set up as an administrator would. */
import { join } from "node:path";
import { v1ControllerMounts } from "../../src/runtime/cgroup_facts.ts";
import { callerCgroup, detectCgroupLayout } from "../../src/runtime/_cgroup_path.ts";

/**
 * Delegates a v1 cgroup subtree to `owner` the way an administrator would: the same path in
 * every mounted controller (cpuset initialised), the directory and its cgroup.procs/tasks
 * chowned. `prelude` moves a shell into it before it switches to the user.
 */
export async function delegateV1Cgroup(owner: { uid: number; gid: number }) {
  const layout = await detectCgroupLayout();
  const mine = callerCgroup(await Deno.readTextFile("/proc/self/cgroup"), layout);
  const path = join(mine, `openshell-delegated-${crypto.randomUUID().slice(0, 8)}`);
  const mounts = (await v1ControllerMounts()).map((m) => m.target);
  const created: string[] = [];
  for (const mount of mounts) {
    let dir = mount;
    for (const part of path.split("/").filter((p) => p !== "")) {
      const parent = dir;
      dir = join(dir, part);
      try {
        await Deno.mkdir(dir);
        created.push(dir);
        for (const file of ["cpuset.cpus", "cpuset.mems"]) {
          const value = await Deno.readTextFile(join(parent, file)).catch(() => undefined);
          if (value !== undefined) await Deno.writeTextFile(join(dir, file), value);
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      }
    }
    for (const file of ["", "cgroup.procs", "tasks"]) {
      await Deno.chown(join(dir, file), owner.uid, owner.gid);
    }
  }
  const procs = mounts.map((m) => `'${join(m, path, "cgroup.procs")}'`).join(" ");
  return {
    path,
    prelude: `for f in ${procs}; do echo $$ > "$f"; done`,
    async [Symbol.asyncDispose]() {
      for (const dir of created.sort((a, b) => b.length - a.length)) {
        await Deno.remove(dir).catch(() => {});
      }
    },
  };
}
