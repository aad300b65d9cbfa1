import assert from "node:assert/strict";
import {
  decideLimits,
  type LimitFacts,
  limitsWriter,
  parseCount,
  parseCpus,
  parseSize,
  v1LimitFiles,
} from "../src/runtime/resource_limits.ts";

Deno.test("parseSize reads binary units, case-insensitively, and refuses tiny or odd sizes", () => {
  assert.equal(parseSize("512M"), 512 * 1024 ** 2);
  assert.equal(parseSize("512MiB"), 512 * 1024 ** 2);
  assert.equal(parseSize("1g"), 1024 ** 3);
  assert.equal(parseSize("1.5G"), 1.5 * 1024 ** 3);
  assert.equal(parseSize("131072k"), 128 * 1024 ** 2);
  assert.equal(parseSize("268435456"), 256 * 1024 ** 2);
  for (const bad of ["", "M", "-1G", "512X", "1e9", "63M", "0"]) {
    assert.throws(() => parseSize(bad), /invalid size/, bad);
  }
});

Deno.test("parseCount and parseCpus", () => {
  assert.equal(parseCount("512", "pids", 16), 512);
  for (const bad of ["15", "-1", "1.5", "x", ""]) {
    assert.throws(() => parseCount(bad, "pids", 16), /invalid pids/, bad);
  }
  assert.equal(parseCpus("0"), undefined);
  assert.equal(parseCpus("1.5"), 1.5);
  for (const bad of ["-1", "0.001", "x", "1,5"]) assert.throws(() => parseCpus(bad), /cpus/, bad);
});

const wanted = { memoryBytes: 1 << 29, pids: 512, cpus: 1 };
const root: LimitFacts = {
  cgroupsPath: "/a/leaf",
  rootless: false,
  layout: "hybrid",
  controllers: ["memory", "pids", "cpu"],
  delegated: true,
};

Deno.test("decideLimits: everything where the controllers exist", () => {
  assert.deepEqual(decideLimits(wanted, root), { applied: wanted, skipped: [] });
  assert.deepEqual(decideLimits({}, root), { applied: {}, skipped: [] });
  const noCpu = decideLimits(wanted, { ...root, controllers: ["memory", "pids"] });
  assert.deepEqual(noCpu.applied, { memoryBytes: 1 << 29, pids: 512 });
  assert.deepEqual(noCpu.skipped, ["cpus"]);
  assert.match(noCpu.reason!, /controller\(s\) cpu are not available/);
});

Deno.test("decideLimits: none without a cgroup of its own or an undelegated cgroup2 subtree", () => {
  const runcV1 = decideLimits(wanted, { ...root, cgroupsPath: undefined, rootless: true });
  assert.deepEqual(runcV1.applied, {});
  assert.deepEqual(runcV1.skipped, ["memoryBytes", "pids", "cpus"]);
  assert.match(runcV1.reason!, /without a cgroup of its own/);
  const unified = { ...root, layout: "unified" as const, rootless: true, delegated: false };
  assert.match(decideLimits(wanted, unified).reason!, /not delegated/);
  assert.deepEqual(decideLimits(wanted, { ...unified, delegated: true }).applied, wanted);
  // A rootless v1 launch with a cgroup path relies on delegation the runtime checks itself.
  assert.deepEqual(
    decideLimits(wanted, { ...root, rootless: true, delegated: false }).applied,
    wanted,
  );
});

Deno.test("rootless on v1 the launcher writes the limit files itself; otherwise the runtime", () => {
  assert.equal(limitsWriter(true, "hybrid"), "launcher");
  assert.equal(limitsWriter(true, "legacy"), "launcher");
  assert.equal(limitsWriter(true, "unified"), "runtime");
  assert.equal(limitsWriter(false, "hybrid"), "runtime");
  assert.deepEqual(v1LimitFiles({ memoryBytes: 1 << 29, pids: 96, cpus: 1.5 }), [
    { controller: "memory", file: "memory.limit_in_bytes", value: String(1 << 29) },
    { controller: "pids", file: "pids.max", value: "96" },
    { controller: "cpu", file: "cpu.cfs_period_us", value: "100000" },
    { controller: "cpu", file: "cpu.cfs_quota_us", value: "150000" },
  ]);
});
