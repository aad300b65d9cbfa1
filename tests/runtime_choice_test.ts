import assert from "node:assert/strict";
import {
  chooseRuntime,
  gatherRuntimeFacts,
  installCommands,
  READ_ONLY_CGROUPS,
  runtimeBlocker,
  type RuntimeHostFacts,
  runtimeNameForPath,
} from "../src/runtime/mod.ts";
import { detectCgroupLayout } from "../src/runtime/_cgroup_path.ts";
import type { RuntimeName } from "../src/runtime/oci_runtime.ts";
import { freePort } from "./_helpers/loopback.ts";
import {
  assertNothingLeft,
  createServeSandbox,
  gatewayPid,
  getJson,
  processUid,
  startServe,
  uniqueGatewayName,
} from "./_helpers/serve_fixture.ts";

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

const ORIGIN = { kind: "other" } as const;
const ROOTLESS_V1 =
  "youki cannot create cgroups rootless on this cgroup v1 host without a delegated subtree";

Deno.test("chooseRuntime over every combination of uid, cgroup layout, delegation and installed runtimes", () => {
  let cases = 0;
  for (const uid of [0, 1000]) {
    for (const layout of LAYOUTS) {
      for (const cgroupDelegated of [false, true]) {
        for (const installed of installations()) {
          const facts: RuntimeHostFacts = { uid, layout, cgroupDelegated, installed };
          let asked = false;
          const choice = chooseRuntime(facts, () => {
            asked = true;
            return ORIGIN;
          });
          cases++;
          const label = JSON.stringify(facts);
          const cgroupsOk = layout === "unified" || cgroupDelegated;
          // Root needs writable v1 controllers for every runtime; rootless runc does without.
          const runs = (name: RuntimeName) =>
            installed[name] !== undefined &&
            (name === "crun" ? layout === "unified" : cgroupsOk || (uid !== 0 && name === "runc"));
          const why = !installed.youki
            ? "youki is not installed"
            : uid === 0
            ? "the cgroup v1 controllers are mounted read-only here, so no runtime can create " +
              "the container's cgroup"
            : ROOTLESS_V1;
          const fallback = (["runc", "crun"] as const).find(runs);
          if (runs("youki")) {
            assert.deepEqual(choice, { name: "youki", path: "/bin/youki" }, label);
          } else if (fallback) {
            assert.deepEqual(
              choice,
              { name: fallback, path: `/bin/${fallback}`, note: `${why}; using ${fallback}` },
              label,
            );
          } else {
            assert.equal(choice.name, undefined, label);
            if (choice.name !== undefined) continue;
            // Where cgroups stop every runtime as root, that is the reason, whatever is installed.
            const readOnly = uid === 0 && !cgroupsOk;
            assert.ok(
              choice.reason.startsWith(readOnly ? READ_ONLY_CGROUPS.reason : why),
              `${label}: ${choice.reason}`,
            );
            if (installed.crun && layout !== "unified" && !readOnly) {
              assert.match(choice.reason, /crun refuses cgroup v1/, label);
            }
            const remedy = readOnly
              ? /SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1/
              : cgroupsOk
              ? /cargo install youki/
              : /apt-get install runc.*delegate a cgroup subtree/;
            assert.match(choice.remedy, remedy, label);
          }
          // What the program is (files to look at) is asked only for an install remedy.
          assert.equal(
            asked,
            choice.name === undefined && choice.reason !== READ_ONLY_CGROUPS.reason,
            label,
          );
        }
      }
    }
  }
  assert.equal(cases, 2 * 3 * 2 * 8);
});

Deno.test("runtimeBlocker: per runtime, uid, layout and delegation", () => {
  const facts = (uid: number, layout: "unified" | "hybrid", cgroupDelegated: boolean) => ({
    uid,
    layout,
    cgroupDelegated,
    installed: {},
  });
  for (const name of NAMES) {
    for (const uid of [0, 1000]) {
      assert.equal(runtimeBlocker(name, facts(uid, "unified", false)), undefined);
    }
  }
  assert.equal(runtimeBlocker("youki", facts(0, "hybrid", true)), undefined);
  assert.match(runtimeBlocker("youki", facts(0, "hybrid", false))!, /read-only/);
  assert.match(runtimeBlocker("runc", facts(0, "hybrid", false))!, /read-only/);
  assert.equal(runtimeBlocker("runc", facts(1000, "hybrid", false)), undefined);
  assert.equal(runtimeBlocker("youki", facts(1000, "hybrid", false)), ROOTLESS_V1);
  assert.equal(runtimeBlocker("youki", facts(1000, "hybrid", true)), undefined);
  assert.match(runtimeBlocker("crun", facts(0, "hybrid", true))!, /crun refuses/);
});

Deno.test("the youki install command works for the program that names it", () => {
  assert.match(
    installCommands({ kind: "checkout", dir: "/src/my openshell" }).youki,
    /`'\/src\/my openshell\/scripts\/install-youki\.sh'`$/,
  );
  assert.match(
    installCommands({ kind: "package" }).youki,
    /`apt-get install --reinstall openshell`/,
  );
  assert.match(installCommands(ORIGIN).youki, /`cargo install youki --version 0\.7\.0 --locked/);
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
    // Found as `--runtime NAME` finds it; the explicit runtime variable is not a lookup by name.
    assert.equal(facts.installed.crun, `${dir}/crun`);
    assert.notEqual(facts.installed.runc, `${dir}/runc`, "not executable");
    assert.notEqual(facts.installed.runc, "/usr/sbin/runc", "not on PATH");
    // This process's cgroup does not belong to uid 1000.
    assert.equal(facts.cgroupDelegated, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const rootWithRunc = Deno.uid() === 0 &&
  await Deno.stat("/usr/sbin/runc").then(() => true, () => false);

Deno.test({
  name: "as root without youki on PATH, plain serve runs under runc, saying youki is not installed",
  ignore: !rootWithRunc,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("noyouki");
    const port = freePort();
    await using serve = startServe(sandbox, ["--name", name, "--listen", `127.0.0.1:${port}`], {
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
    });
    await serve.ready();
    assert.match(serve.stderr(), /^youki is not installed; using runc$/m);
    assert.match(serve.stderr(), /^Starting container "\S+" with runc$/m);
    assert.equal(await processUid(await gatewayPid(serve.child.pid)), 65532);
    assert.equal((await getJson(`http://127.0.0.1:${port}/healthz`)).status, 200);
    assert.equal((await serve.stop()).code, 0);
    await assertNothingLeft(sandbox, name);
  },
});

Deno.test({
  name: "an explicit --runtime or OPENSHELL_OCI_RUNTIME is honoured strictly, never replaced",
  ignore: !rootWithRunc,
  async fn() {
    await using sandbox = await createServeSandbox();
    const name = uniqueGatewayName("strict");
    const listen = `127.0.0.1:${freePort()}`;
    const run = async (args: string[], env: Record<string, string>) => {
      await using serve = startServe(sandbox, ["--name", name, "--listen", listen, ...args], {
        env,
      });
      return await serve.finished();
    };
    const named = await run(["--runtime", "youki"], { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" });
    assert.equal(named.code, 1);
    assert.match(named.stderr, /^error: OCI runtime "youki" not found on PATH$/m);
    assert.match(
      named.stderr,
      /^hint: install youki 0\.7\.0 with `[^`]+\/scripts\/install-youki\.sh'?`/m,
    );
    assert.doesNotMatch(named.stderr, /using runc/);
    const variable = await run([], { OPENSHELL_OCI_RUNTIME: "/nonexistent/runc" });
    assert.equal(variable.code, 1);
    assert.match(
      variable.stderr,
      /^error: OCI runtime "\/nonexistent\/runc" is not an executable file$/m,
    );
    assert.match(variable.stderr, /^hint: install runc with `apt-get install runc`/m);
    await assertNothingLeft(sandbox, name);
  },
});
