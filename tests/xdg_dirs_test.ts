import assert from "node:assert/strict";
import { openshellDir } from "../src/host/xdg_dirs.ts";
import { UserError } from "../src/errors/user_error.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("ordinary users get XDG defaults under HOME", () => {
  const e = env({ HOME: "/home/a" });
  assert.equal(openshellDir("config", e, 1000), "/home/a/.config/openshell");
  assert.equal(openshellDir("cache", e, 1000), "/home/a/.cache/openshell");
  assert.equal(openshellDir("state", e, 1000), "/home/a/.local/state/openshell");
  const session = (path: string, uid: number) => path === `/run/user/${uid}`;
  assert.equal(openshellDir("runtime", e, 1000, session), "/run/user/1000/openshell");
});

Deno.test("without XDG_RUNTIME_DIR or a login session's /run/user dir, a private dir under /tmp", () => {
  const e = env({ HOME: "/home/a" });
  assert.equal(openshellDir("runtime", e, 1000, () => false), "/tmp/openshell-1000");
  // Someone else's /run/user/<uid> is not the user's session dir.
  assert.equal(openshellDir("runtime", e, 1000, (_p, uid) => uid === 0), "/tmp/openshell-1000");
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
  assert.equal(openshellDir("runtime", e, 1000), "/t/r/openshell");
  assert.equal(openshellDir("runtime", e, 0), "/run/openshell");
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
