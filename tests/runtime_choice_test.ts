import assert from "node:assert/strict";
import {
  chooseRuntime,
  gatherRuntimeFacts,
  type RuntimeHostFacts,
  runtimeNameForPath,
  youkiBlocker,
} from "../src/runtime/mod.ts";
import { detectCgroupLayout } from "../src/runtime/cgroup_path.ts";
import type { RuntimeName } from "../src/runtime/oci_runtime.ts";

const LAYOUTS = ["unified", "hybrid", "legacy"] as const;
const NAMES: RuntimeName[] = ["youki", "runc", "crun"];

/** Every subset of the known runtimes, each installed at /bin/<name>. */
function installations(): Partial<Record<RuntimeName, string>>[] {
  const sets: Partial<Record<RuntimeName, string>>[] = [];
  for (let mask = 0; mask < 1 << NAMES.length; mask++) {
    const set: Partial<Record<RuntimeName, string>> = {};
    NAMES.forEach((name, bit) => {
      if (mask & (1 << bit)) set[name] = `/bin/${name}`;
    });
    sets.push(set);
  }
  return sets;
}

Deno.test("chooseRuntime over every combination of uid, cgroup layout, delegation and installed runtimes", () => {
  let cases = 0;
  for (const uid of [0, 1000]) {
    for (const layout of LAYOUTS) {
      for (const cgroupDelegated of [false, true]) {
        for (const installed of installations()) {
          const facts: RuntimeHostFacts = { uid, layout, cgroupDelegated, installed };
          const choice = chooseRuntime(facts);
          cases++;
          const label = JSON.stringify(facts);
          const youkiRuns = uid === 0 || layout === "unified" || cgroupDelegated;
          const fallback = installed.runc ? "runc" : installed.crun ? "crun" : undefined;
          if (installed.youki && youkiRuns) {
            assert.deepEqual(choice, { name: "youki", path: "/bin/youki" }, label);
          } else if (fallback) {
            const why = installed.youki
              ? "youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree"
              : "youki is not installed";
            assert.deepEqual(
              choice,
              { name: fallback, path: `/bin/${fallback}`, note: `${why}; using ${fallback}` },
              label,
            );
          } else if (installed.youki) {
            // Nothing else to run: youki, whose failure explains the remedies.
            assert.deepEqual(choice, { name: "youki", path: "/bin/youki" }, label);
          } else {
            assert.deepEqual(choice, { name: "youki" }, label);
          }
        }
      }
    }
  }
  assert.equal(cases, 2 * 3 * 2 * 8);
});

Deno.test("youkiBlocker names the reason only for rootless youki on v1 without delegation", () => {
  const base = { installed: {}, cgroupDelegated: false };
  assert.equal(youkiBlocker({ ...base, uid: 0, layout: "legacy" }), undefined);
  assert.equal(youkiBlocker({ ...base, uid: 1000, layout: "unified" }), undefined);
  assert.equal(
    youkiBlocker({ ...base, uid: 1000, layout: "hybrid", cgroupDelegated: true }),
    undefined,
  );
  assert.match(youkiBlocker({ ...base, uid: 1000, layout: "legacy" })!, /delegated subtree/);
});

Deno.test("runtimeNameForPath reads the runtime from an explicit path's file name", () => {
  assert.equal(runtimeNameForPath("/usr/sbin/runc"), "runc");
  assert.equal(runtimeNameForPath("/opt/crun"), "crun");
  assert.equal(runtimeNameForPath("/usr/local/bin/youki"), "youki");
  assert.equal(runtimeNameForPath("./my-runtime"), "youki");
});

Deno.test("gatherRuntimeFacts reads this host: its layout, its uid, the runtimes on PATH", async () => {
  const dir = await Deno.makeTempDir({ prefix: "openshell-runtimes-" });
  try {
    await Deno.writeTextFile(`${dir}/crun`, "#!/bin/sh\n", { mode: 0o755 });
    await Deno.writeTextFile(`${dir}/runc`, "not executable", { mode: 0o644 });
    const env = (name: string) =>
      ({ PATH: dir, OPENSHELL_OCI_RUNTIME: "/usr/sbin/runc" } as Record<string, string>)[name];
    const facts = await gatherRuntimeFacts(env, 1000);
    assert.equal(facts.layout, await detectCgroupLayout());
    assert.equal(facts.uid, 1000);
    // The explicit runtime variable is not a runtime found by name.
    assert.deepEqual(facts.installed, { crun: `${dir}/crun` });
    // This process's cgroup does not belong to uid 1000.
    assert.equal(facts.cgroupDelegated, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
