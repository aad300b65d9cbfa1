import assert from "node:assert/strict";
import { quickServeOptions, type ServeOptions } from "../src/serve/serve_args.ts";
import { serveCommand } from "../src/cli/serve_command.ts";

/** What the full parser makes of `args`, or the error it stops with. */
function fullParse(args: string[]): { options: ServeOptions } | { error: string } {
  let options: ServeOptions | undefined;
  const command = serveCommand()
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .action((parsed) => {
      options = parsed;
    });
  try {
    command.parse(args, { from: "user" });
  } catch (error) {
    return { error: (error as Error).message };
  }
  assert.ok(options, `no options for ${JSON.stringify(args)}`);
  return { options };
}

/** Drops keys whose value is undefined, as the quick reading never sets them. */
function defined(options: ServeOptions): Record<string, string> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

const FLAGS = ["--name", "-n", "--listen", "-l", "--runtime", "--runtime-path", "--state-dir"];
const TOKENS = [
  ...FLAGS,
  "--help",
  "-h",
  "--bogus",
  "--",
  "-nx",
  "-n=dev",
  "--name=dev",
  "--name=",
  "--listen=127.0.0.1:9000",
  "--runtime=runc",
  "--runtime=podman",
  "--seccomp=unconfined",
  "--seccomp=x",
  "--memory=1G",
  "dev",
  "127.0.0.1:9000",
  "runc",
  "crun",
  "podman",
  "",
  "-x",
  "/usr/bin/youki",
  "a=b",
];

Deno.test("whatever the quick reading of serve's arguments accepts, the full parser reads the same", () => {
  let accepted = 0;
  const check = (args: string[]) => {
    const quick = quickServeOptions(args);
    if (quick === undefined) return;
    accepted++;
    const full = fullParse(args);
    assert.ok(
      "options" in full,
      `${JSON.stringify(args)}: full parser refused: ${"error" in full ? full.error : ""}`,
    );
    assert.deepEqual(defined(quick), defined(full.options), JSON.stringify(args));
  };
  check([]);
  for (const a of TOKENS) {
    check([a]);
    for (const b of TOKENS) {
      check([a, b]);
      for (const c of TOKENS) {
        check([a, b, c]);
        for (const d of TOKENS) check([a, b, c, d]);
      }
    }
  }
  // Not vacuous: the plain forms are read quickly.
  assert.ok(accepted > 1000, `only ${accepted} argument lists read quickly`);
});

Deno.test("the quick reading takes the plain forms and leaves the rest to the full parser", () => {
  const limits = { memory: "512M", pids: "512", cpus: "0", seccomp: "default" };
  assert.deepEqual(quickServeOptions([]), {
    name: "local",
    listen: "127.0.0.1:8090",
    ...limits,
  });
  assert.deepEqual(
    quickServeOptions([
      "-n",
      "dev",
      "--listen=127.0.0.1:9000",
      "--runtime",
      "runc",
      "--runtime-path",
      "/usr/sbin/runc",
      "--state-dir=/srv/state",
    ]),
    {
      ...limits,
      name: "dev",
      listen: "127.0.0.1:9000",
      runtime: "runc",
      runtimePath: "/usr/sbin/runc",
      stateDir: "/srv/state",
    },
  );
  for (
    const args of [
      ["--help"],
      ["-h"],
      ["--name"],
      ["--name", ""],
      ["--name", "-x"],
      ["--name=", "x"],
      ["--name", "a", "--name", "b"],
      ["-ndev"],
      ["-n=dev"],
      ["--runtime", "podman"],
      ["--seccomp", "strict"],
      ["--bogus"],
      ["extra"],
      ["--", "--name", "x"],
    ]
  ) {
    assert.equal(quickServeOptions(args), undefined, JSON.stringify(args));
  }
});
