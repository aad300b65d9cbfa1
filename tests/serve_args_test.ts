import assert from "node:assert/strict";
import { SERVE_AUTH_MODES, type ServeOptions } from "../src/serve/mod.ts";
import { RUNTIME_NAMES } from "../src/runtime/mod.ts";
import { SECCOMP_MODES } from "../src/container/mod.ts";
import { withPathFacts } from "../src/cli/_command_spec.ts";
import { PROGRAM } from "../src/cli/_command_tree.ts";
import { parseArgs } from "../src/cli/_parse_args.ts";

const serveSpec = PROGRAM.commands!.find((c) => c.name === "serve")!;
const program = await withPathFacts(PROGRAM, [PROGRAM, serveSpec]);

/** What the one parser makes of `openshell serve ARGS`: the options, or how it stops. */
function readServe(args: string[]): { options: ServeOptions & { detach?: boolean } } | {
  stop: string;
} {
  const outcome = parseArgs(program, ["serve", ...args], () => undefined);
  if (outcome.kind === "run") {
    // -o is how --detach prints the gateway; serve itself never sees it.
    const { output, ...options } = outcome.input.options;
    assert.ok(output === "text" || output === "json" || output === "yaml");
    return { options: options as unknown as ServeOptions & { detach?: boolean } };
  }
  return { stop: outcome.kind === "error" ? outcome.message : outcome.kind };
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
  "--auth=token",
  "--memory=1G",
  "-d",
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

Deno.test("every serve command line the parser accepts gives complete, valid ServeOptions", () => {
  let accepted = 0;
  const check = (args: string[]) => {
    const read = readServe(args);
    if (!("options" in read)) {
      assert.match(read.stop, /^(help|error: .+)$/s, JSON.stringify(args));
      return;
    }
    accepted++;
    const { options } = read;
    for (const key of ["name", "memory", "pids", "cpus", "seccomp"] as const) {
      assert.equal(typeof options[key], "string", `${key} of ${JSON.stringify(args)}`);
    }
    // Without --listen, serve listens where it registered the gateway, else the default.
    assert.ok(["string", "undefined"].includes(typeof options.listen), JSON.stringify(args));
    assert.ok(SECCOMP_MODES.includes(options.seccomp), JSON.stringify(args));
    // Without --auth, serve keeps the registration's, else its default.
    if (options.auth !== undefined) {
      assert.ok(SERVE_AUTH_MODES.includes(options.auth), JSON.stringify(args));
    }
    if (options.runtime !== undefined) {
      assert.ok(RUNTIME_NAMES.includes(options.runtime), JSON.stringify(args));
    }
  };
  check([]);
  for (const a of TOKENS) {
    check([a]);
    for (const b of TOKENS) {
      check([a, b]);
      for (const c of TOKENS) check([a, b, c]);
    }
  }
  // Not vacuous: most plain forms are accepted.
  assert.ok(accepted > 1000, `only ${accepted} argument lists accepted`);
});

Deno.test("serve's plain forms give the options serve() takes; the rest stop with help or a usage error", () => {
  const limits = { memory: "512M", pids: "512", cpus: "0", seccomp: "default" };
  assert.deepEqual(readServe([]), {
    options: { name: "local", ...limits },
  });
  assert.deepEqual(
    readServe([
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
      options: {
        ...limits,
        name: "dev",
        listen: "127.0.0.1:9000",
        runtime: "runc",
        runtimePath: "/usr/sbin/runc",
        stateDir: "/srv/state",
      },
    },
  );
  const name = (args: string[]) => {
    const read = readServe(args);
    return "options" in read ? read.options.name : undefined;
  };
  assert.equal(name(["--name", "a", "--name", "b"]), "b");
  assert.equal(name(["-ndev"]), "dev");
  assert.equal(name(["-n=dev"]), "dev");
  assert.equal(name(["--name", "-x"]), "-x");
  assert.equal(name(["--name", ""]), "");
  assert.ok("options" in readServe(["-d"]));
  const stops: [string[], string | RegExp][] = [
    [["--help"], "help"],
    [["-h"], "help"],
    [["--name"], "error: option '-n, --name <name>' argument missing"],
    [["--name=", "x"], /^error: too many arguments for 'serve'/],
    [["--runtime", "podman"], /'podman' is invalid\. Allowed choices are youki, runc, crun\.$/],
    [["--seccomp", "strict"], /Allowed choices are default, unconfined\.$/],
    [["--auth", "oidc"], /Allowed choices are mtls, token\.$/],
    [["--bogus"], "error: unknown option '--bogus'"],
    [
      ["extra"],
      /^error: too many arguments for 'serve'\. Expected 0 arguments but got 1: extra\.$/,
    ],
    [["--", "--name", "x"], /got 2: --name, x\.$/],
  ];
  for (const [args, want] of stops) {
    const read = readServe(args);
    assert.ok("stop" in read, JSON.stringify(args));
    if (typeof want === "string") assert.equal(read.stop, want, JSON.stringify(args));
    else assert.match(read.stop, want, JSON.stringify(args));
  }
});
