import assert from "node:assert/strict";
import {
  type DirFacts,
  gatewayHomes,
  openshellDir,
  privateDirProblem,
  runtimeDirChoice,
} from "../src/host/xdg_dirs.ts";
import { UserError } from "../src/errors/user_error.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

/** A directory of `uid` with `mode`. */
const dir = (uid: number, mode = 0o700): DirFacts => ({
  isDirectory: true,
  isSymlink: false,
  uid,
  mode: 0o40000 | mode,
});
/** A lookup where only `dirs` exist. */
const only = (dirs: Record<string, DirFacts>) => (path: string) => dirs[path];

Deno.test("ordinary users get XDG defaults under HOME", () => {
  const e = env({ HOME: "/home/a" });
  assert.equal(openshellDir("config", e, 1000), "/home/a/.config/openshell");
  assert.equal(openshellDir("cache", e, 1000), "/home/a/.cache/openshell");
  assert.equal(openshellDir("state", e, 1000), "/home/a/.local/state/openshell");
  const session = only({ "/run/user/1000": dir(1000) });
  assert.equal(openshellDir("runtime", e, 1000, session), "/run/user/1000/openshell");
});

Deno.test("without XDG_RUNTIME_DIR or a login session's /run/user dir, a private dir under /tmp", () => {
  const e = env({ HOME: "/home/a" });
  assert.equal(openshellDir("runtime", e, 1000, only({})), "/tmp/openshell-1000");
  // Someone else's /run/user/<uid> is not the user's session dir.
  const foreign = only({ "/run/user/1000": dir(0) });
  assert.equal(openshellDir("runtime", e, 1000, foreign), "/tmp/openshell-1000");
});

Deno.test("root gets system locations except for its config root", () => {
  const e = env({ HOME: "/root" });
  assert.equal(openshellDir("config", e, 0), "/root/.config/openshell");
  assert.equal(openshellDir("cache", e, 0), "/var/cache/openshell");
  assert.equal(openshellDir("state", e, 0), "/var/lib/openshell");
  assert.equal(openshellDir("runtime", e, 0), "/run/openshell");
});

Deno.test("an explicit absolute XDG variable wins, for root too, except root's runtime dir", () => {
  const e = env({
    XDG_CONFIG_HOME: "/t/c",
    XDG_CACHE_HOME: "/t/k",
    XDG_STATE_HOME: "/t/s",
    XDG_RUNTIME_DIR: "/t/r",
  });
  for (const uid of [0, 1000]) {
    assert.equal(openshellDir("config", e, uid), "/t/c/openshell");
    assert.equal(openshellDir("cache", e, uid), "/t/k/openshell");
    assert.equal(openshellDir("state", e, uid), "/t/s/openshell");
  }
  assert.equal(openshellDir("runtime", e, 1000, only({ "/t/r": dir(1000) })), "/t/r/openshell");
  assert.equal(openshellDir("runtime", e, 0, only({ "/t/r": dir(0) })), "/run/openshell");
});

Deno.test("a private dir: a real directory of the user's that no one else can write", () => {
  assert.equal(privateDirProblem(dir(1000), 1000), undefined);
  assert.equal(privateDirProblem(dir(1000, 0o755), 1000), undefined);
  assert.equal(privateDirProblem(undefined, 1000), "does not exist");
  assert.equal(privateDirProblem({ ...dir(1000), isSymlink: true }, 1000), "is a symbolic link");
  assert.equal(
    privateDirProblem({ ...dir(1000), isDirectory: false }, 1000),
    "is not a directory",
  );
  assert.equal(privateDirProblem(dir(0), 1000), "belongs to uid 0");
  assert.equal(privateDirProblem(dir(1000, 0o770), 1000), "is writable by others (mode 0770)");
  assert.equal(
    privateDirProblem(dir(0, 0o1777), 1000),
    "belongs to uid 0 and is writable by others (mode 1777)",
  );
});

Deno.test("XDG_RUNTIME_DIR that is not private is ignored, saying why, for the fallback", () => {
  const tmp = env({ XDG_RUNTIME_DIR: "/tmp" });
  const shared = { "/tmp": dir(0, 0o1777) };
  assert.deepEqual(runtimeDirChoice(tmp, 1000, only(shared)), {
    path: "/tmp/openshell-1000",
    ignored: 'XDG_RUNTIME_DIR "/tmp" belongs to uid 0 and is writable by others (mode 1777)',
  });
  const session = { ...shared, "/run/user/1000": dir(1000) };
  assert.deepEqual(runtimeDirChoice(tmp, 1000, only(session)), {
    path: "/run/user/1000/openshell",
    ignored: 'XDG_RUNTIME_DIR "/tmp" belongs to uid 0 and is writable by others (mode 1777)',
  });
  assert.deepEqual(runtimeDirChoice(env({ XDG_RUNTIME_DIR: "/gone" }), 1000, only({})), {
    path: "/tmp/openshell-1000",
    ignored: 'XDG_RUNTIME_DIR "/gone" does not exist',
  });
  assert.deepEqual(runtimeDirChoice(env({ XDG_RUNTIME_DIR: "rel" }), 1000, only({})), {
    path: "/tmp/openshell-1000",
    ignored: 'XDG_RUNTIME_DIR "rel" is not an absolute path',
  });
  assert.deepEqual(runtimeDirChoice(env({ XDG_RUNTIME_DIR: "" }), 1000, only({})), {
    path: "/tmp/openshell-1000",
  });
  assert.deepEqual(runtimeDirChoice(tmp, 0, only(shared)), { path: "/run/openshell" });
});

Deno.test("relative XDG values are ignored, as the XDG spec requires", () => {
  const e = env({ HOME: "/home/a", XDG_CONFIG_HOME: "rel", XDG_CACHE_HOME: "" });
  assert.equal(openshellDir("config", e, 1000), "/home/a/.config/openshell");
  assert.equal(openshellDir("cache", e, 1000), "/home/a/.cache/openshell");
});

Deno.test("no HOME and no XDG variable is a user error naming both", () => {
  assert.throws(() => openshellDir("config", env({}), 1000), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /XDG_CONFIG_HOME nor HOME/);
    return true;
  });
});

Deno.test("gateway homes: fixed per uid, whatever XDG_RUNTIME_DIR says; the session's first", () => {
  assert.deepEqual(gatewayHomes(0), ["/run/openshell"]);
  assert.deepEqual(gatewayHomes(1000, only({})), [
    "/tmp/openshell-1000",
    "/run/user/1000/openshell",
  ]);
  assert.deepEqual(gatewayHomes(1000, only({ "/run/user/1000": dir(1000) })), [
    "/run/user/1000/openshell",
    "/tmp/openshell-1000",
  ]);
  // The runtime dir without XDG_RUNTIME_DIR is the first home.
  assert.equal(openshellDir("runtime", () => undefined, 1000, only({})), "/tmp/openshell-1000");
});
