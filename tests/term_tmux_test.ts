// These tests look for escape sequences on purpose.
// deno-lint-ignore-file no-control-regex
/**
 * `openshell term` in a real terminal: the real CLI runs in a private tmux server against
 * temp user and system registries and real local HTTP endpoints.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommandLine, createSandbox, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { freePort, serveLoopback } from "./_helpers/loopback.ts";
import { openTmux, tmuxAvailable, type TmuxTerminal } from "./_helpers/tmux.ts";
import { sandboxRoots, writeEntry } from "./registry_fixture.ts";
import { makeCertificates, placeClientCertificates } from "./_helpers/certificates.ts";
import { serveGrpcGateway } from "./_helpers/grpc_gateway.ts";
import { servedRecordFor } from "./_helpers/served_record_fixture.ts";
import { uniqueGatewayName } from "./_helpers/serve_fixture.ts";
import { gatewayHomes } from "../src/host/mod.ts";
import { gatewayMtlsDir, mtlsFilePaths } from "../src/registry/mod.ts";

const HAVE_TMUX = tmuxAvailable();
if (!HAVE_TMUX) console.error("tmux is not installed (scripts/setup.sh --test installs it)");
const tmuxTest = (name: string, fn: () => Promise<void>) =>
  Deno.test({ name, ignore: !HAVE_TMUX, fn });

/** Deno's first start of the UI (module loading) can be slow on a busy machine. */
const START_MS = 30_000;

function writeGateway(
  root: string,
  name: string,
  endpoint: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  return writeEntry(root, name, {
    name,
    gateway_endpoint: endpoint,
    is_remote: false,
    gateway_port: 0,
    ...extra,
  });
}

const userRoot = (sandbox: Sandbox) => join(sandbox.config, "openshell");

/** A real gateway health endpoint on a free loopback port. */
function healthServer() {
  return serveLoopback((request) =>
    new URL(request.url).pathname === "/healthz"
      ? new Response("ok")
      : new Response("not found", { status: 404 })
  );
}

function closedEndpoint(): string {
  return `http://127.0.0.1:${freePort()}`;
}

/** Starts the real `openshell term` in the shell, after a line that marks the old screen. */
async function startTerm(terminal: TmuxTerminal, args: string[] = []): Promise<void> {
  const command = cliCommandLine([...args, "term"]);
  await terminal.send([`echo BEFORE-TERM; ${command}; echo EXIT=$?`, "Enter"], { literal: false });
  await terminal.waitFor((screen) => screen.includes("NAME"), "the gateway pane", START_MS);
}

/** The pane row of gateway `name` (after the cursor and active markers). */
/** `term` started in a private tmux terminal of the given size. */
async function startNarrowTerm(sandbox: Sandbox, columns: number, rows: number) {
  const terminal = await openTmux({ env: sandbox.env, cwd: sandbox.root, columns, rows });
  await startTerm(terminal);
  return terminal;
}

const row = (screen: string, name: string) =>
  screen.split("\n").find((text) => /^[> ][* ] /.test(text) && text.slice(3).startsWith(name)) ??
    "";

tmuxTest(
  "term shows user and system rows with sources, health and the active marker; Enter persists the choice; q restores the terminal",
  async () => {
    await using sandbox = await createSandbox();
    await using healthy = healthServer();
    await writeGateway(userRoot(sandbox), "dev", healthy.endpoint, { auth_mode: "plaintext" });
    await writeGateway(sandbox.system, "corp", closedEndpoint(), { is_remote: true });
    await writeEntry(userRoot(sandbox), "zz-bad", "{oops");
    await Deno.writeTextFile(join(sandbox.system, "active_gateway"), "corp\n");
    await using terminal = await openTmux({ env: sandbox.env, cwd: sandbox.root });
    await startTerm(terminal);

    let screen = await terminal.waitFor(
      (s) => s.includes("Current gateway: corp [system] (unreachable)") && /dev .*healthy/.test(s),
      "health results and the title",
    );
    assert.match(
      screen,
      /^openshell \d+\.\d+\.\d+ · Current gateway: corp \[system\] \(unreachable\)/m,
    );
    assert.match(screen, /^ {3}NAME +TYPE +SOURCE +ENDPOINT +STATUS$/m);
    assert.match(
      row(screen, "corp"),
      /^>\* corp +remote +system +http:\/\/127\.0\.0\.1:\d+ +unreachable$/,
    );
    assert.match(
      row(screen, "dev"),
      /^ {3}dev +local +user +http:\/\/127\.0\.0\.1:\d+ +healthy$/,
    );
    assert.match(row(screen, "zz-bad"), /^ {3}zz-bad +- +user +error: .+ +error$/);
    assert.equal(await terminal.format("#{alternate_on}"), "1");
    assert.doesNotMatch(await terminal.captureStyled(), /\x1b\[3[0-7]m/, "NO_COLOR: no colours");

    await terminal.send(["Down", "Enter"]);
    screen = await terminal.waitFor(
      (s) => s.includes("Current gateway: dev [user] (healthy)"),
      "dev to become current",
    );
    assert.match(row(screen, "dev"), /^>\* dev/);
    assert.match(row(screen, "corp"), /^ {3}corp/);
    assert.match(screen, /Active gateway is now 'dev'/);
    assert.equal(await Deno.readTextFile(join(userRoot(sandbox), "active_gateway")), "dev");
    assert.equal(
      await Deno.readTextFile(join(sandbox.system, "active_gateway")),
      "corp\n",
      "the system file is never written",
    );

    // An installer adds a system gateway while the UI is open.
    const written = Date.now();
    await writeGateway(sandbox.system, "new-gw", healthy.endpoint);
    screen = await terminal.waitFor((s) => /new-gw +local +system/.test(s), "the new entry", 3000);
    assert.ok(Date.now() - written <= 3000);

    await terminal.send(["q"]);
    screen = await terminal.waitFor((s) => /EXIT=\d+/.test(s), "the UI to exit");
    assert.match(screen, /EXIT=0/);
    assert.match(screen, /BEFORE-TERM/, "the previous screen is back");
    assert.doesNotMatch(screen, /NAME +TYPE/, "nothing of the UI is left on the main screen");
    assert.equal(await terminal.format("#{alternate_on}"), "0");
    assert.equal(await terminal.format("#{cursor_flag}"), "1", "the cursor is visible again");
  },
);

tmuxTest(
  "term refuses d on a system entry with the CLI's message; d then y removes a user entry",
  async () => {
    await using sandbox = await createSandbox();
    await writeGateway(sandbox.system, "corp", closedEndpoint());
    const mine = await writeGateway(userRoot(sandbox), "mine", closedEndpoint());
    const keep = await writeGateway(userRoot(sandbox), "other", closedEndpoint());
    await using terminal = await openTmux({ env: sandbox.env, cwd: sandbox.root });
    await startTerm(terminal);
    await terminal.waitFor((s) => /^> {2}corp +local +system/m.test(s), "the cursor on corp");

    await terminal.send(["d"]);
    let screen = await terminal.waitFor(
      (s) => s.includes("installed by the system and cannot be removed from user config"),
      "the refusal",
    );
    // The very words `openshell gateway remove` prints for the same entry.
    const cli = await runCli(sandbox, ["gateway", "remove", "corp"]);
    assert.equal(cli.code, 1);
    const cliMessage = /^error: (.*)$/m.exec(cli.stderr)?.[1] ?? "";
    assert.match(
      cliMessage,
      /^Gateway 'corp' is installed by the system and cannot be removed from user config/,
    );
    assert.ok(screen.includes(cliMessage), `the UI shows ${JSON.stringify(cliMessage)}`);
    assert.match(screen, /corp +local +system/, "the system entry stays listed");
    assert.ok((await Deno.stat(join(sandbox.system, "gateways", "corp", "metadata.json"))).isFile);

    await terminal.send(["j", "d"]);
    await terminal.waitFor((s) => s.includes("Remove user gateway 'mine'? y/n"), "the question");
    await terminal.send(["n"]);
    await terminal.waitFor((s) => s.includes("Kept gateway 'mine'"), "the answer no");
    assert.ok((await Deno.stat(mine)).isFile);

    await terminal.send(["d"]);
    await terminal.waitFor(
      (s) => s.includes("Remove user gateway 'mine'? y/n"),
      "the question again",
    );
    await terminal.send(["y"]);
    screen = await terminal.waitFor(
      (s) => s.includes("Removed gateway 'mine'") && !/ mine +local/.test(s),
      "the removal",
    );
    await assert.rejects(Deno.stat(mine), Deno.errors.NotFound);
    assert.ok((await Deno.stat(keep)).isFile);
    assert.match(screen, /other +local +user/);

    await terminal.send(["?"]);

    await terminal.waitFor(
      (s) => s.includes("Press any key to go back") && s.includes("Keys"),
      "help",
    );

    await terminal.send(["x"]);

    await terminal.waitFor(
      (s) => s.includes("q quit") && /other +local +user/.test(s),
      "the pane again",
    );

    await terminal.send(["r"]);

    await terminal.waitFor((s) => s.includes("Registry re-read"), "the refresh");

    await terminal.send(["C-c"]);
    screen = await terminal.waitFor((s) => /EXIT=\d+/.test(s), "Ctrl-C to quit");
    assert.match(screen, /EXIT=0/);
    assert.equal(await terminal.format("#{alternate_on}"), "0");
  },
);

tmuxTest(
  "term starts with the cursor on the active gateway; in 34 columns STATUS stays readable",
  async () => {
    await using sandbox = await createSandbox();
    await writeGateway(sandbox.system, "al", closedEndpoint());
    await writeGateway(userRoot(sandbox), "be", closedEndpoint());
    await writeGateway(userRoot(sandbox), "ga", closedEndpoint());
    await Deno.writeTextFile(join(userRoot(sandbox), "active_gateway"), "ga");
    await using terminal = await startNarrowTerm(sandbox, 34, 12);
    const screen = await terminal.waitFor(
      (s) => / down$/m.test(s) && !/ …$/m.test(s),
      "every gateway checked",
    );
    assert.match(screen, /STATUS$/m);
    assert.match(row(screen, "al"), /^ {3}al .* down$/);
    assert.match(row(screen, "ga"), /^>\* ga .* down$/, "the cursor on the active gateway");
    for (const line of await terminal.capture()) assert.ok([...line].length <= 34, line);
    await terminal.send(["q"]);
    await terminal.waitFor((s) => s.includes("EXIT=0"), "the UI to exit");
  },
);

tmuxTest(
  "term in 40 columns truncates with an ellipsis and never wraps; resizing redraws",
  async () => {
    await using sandbox = await createSandbox();
    const endpoint = "https://a-rather-long-gateway-host-name.example.internal:8443";
    await writeGateway(sandbox.system, "corp", endpoint, { is_remote: true });
    await writeGateway(userRoot(sandbox), "local-development", closedEndpoint());
    await Deno.writeTextFile(join(sandbox.system, "active_gateway"), "corp");
    await using terminal = await startNarrowTerm(sandbox, 40, 15);
    let screen = await terminal.waitFor((s) => s.includes("corp"), "the rows");
    const rows = await terminal.capture();
    for (const row of rows) assert.ok([...row].length <= 40, `too wide: ${row}`);
    assert.match(rows[0]!, /^openshell \S+ · Current gateway: …?/);
    assert.match(rows[0]!, /…$/, "the title is cut with an ellipsis");
    assert.match(row(screen, "corp"), /^>\* corp +remote +system +h\S*… +(checking|unreachable)$/);
    assert.match(row(screen, "lo"), /^ {3}lo\S*… +local +user +h\S*… +(checking|unreachable)$/);
    // each row is one line: the rows follow each other with no continuation lines between
    assert.match(rows[3]!, /^>\* corp /);
    assert.match(rows[4]!, /^ {3}lo/);

    await terminal.resize(120, 15);
    screen = await terminal.waitFor(
      (s) => s.includes(endpoint),
      "the full endpoint after resizing",
    );
    assert.match(row(screen, "local-development"), /^ {3}local-development +local +user/);
    assert.match(screen, /Current gateway: corp \[system\] \((checking|unreachable)\)/);

    await terminal.send(["q"]);
    await terminal.waitFor((s) => s.includes("EXIT=0"), "the UI to exit");
  },
);

tmuxTest(
  "term honours -g, uses colour without NO_COLOR and restores the terminal on SIGTERM",
  async () => {
    await using sandbox = await createSandbox();
    await writeGateway(userRoot(sandbox), "dev", closedEndpoint());
    const { NO_COLOR: _, ...env } = sandbox.env;
    await using terminal = await openTmux({ env, cwd: sandbox.root });
    await startTerm(terminal, ["-g", "dev"]);
    await terminal.waitFor((s) => /dev +local +user +\S+ +unreachable/.test(s), "the row");
    // -g decides the current gateway for this run, and the title says so.
    await terminal.waitFor(
      (s) => s.includes("Current gateway: dev [user] (unreachable) via --gateway"),
      "the title naming -g",
    );
    // Without NO_COLOR the status is coloured (red for unreachable).
    assert.match(await terminal.captureStyled(), /\x1b\[31munreachable/);
    const shell = Number(await terminal.format("#{pane_pid}"));
    const children = (await Deno.readTextFile(`/proc/${shell}/task/${shell}/children`)).trim();
    const pid = Number(children.split(/\s+/)[0]);
    assert.ok(pid > 0, `no child of the shell: '${children}'`);
    Deno.kill(pid, "SIGTERM");
    const screen = await terminal.waitFor((s) => /EXIT=\d+/.test(s), "the UI to exit");
    assert.match(screen, /EXIT=0/);
    assert.match(screen, /BEFORE-TERM/);
    assert.equal(await terminal.format("#{alternate_on}"), "0");
    assert.equal(await terminal.format("#{cursor_flag}"), "1");
  },
);

tmuxTest(
  "term --gateway-insecure checks https:// gateways without verifying them and without a client certificate",
  async () => {
    await using sandbox = await createSandbox();
    const [theirs, ours] = await Promise.all([
      makeCertificates(join(sandbox.root, "theirs")),
      makeCertificates(join(sandbox.root, "ours")),
    ]);
    // One behind a certificate the registration cannot verify, one that asks for a client's.
    await using unverifiable = await serveGrpcGateway({ tls: theirs, anyClient: true });
    await using strict = await serveGrpcGateway({ tls: ours });
    for (const [name, endpoint] of [["corp", unverifiable.endpoint], ["strict", strict.endpoint]]) {
      await writeGateway(userRoot(sandbox), name!, endpoint!, { auth_mode: "mtls" });
      const mtls = gatewayMtlsDir(sandboxRoots(sandbox), name!);
      await placeClientCertificates(ours, mtlsFilePaths(mtls));
    }
    await using terminal = await openTmux({ env: sandbox.env, cwd: sandbox.root });
    await startTerm(terminal, ["--gateway-insecure"]);
    const screen = await terminal.waitFor(
      (s) => /corp .* healthy /.test(s) && /strict .* unreachable$/m.test(s),
      "corp healthy and strict refused",
    );
    assert.match(
      row(screen, "corp"),
      /^.{3}corp +local +user +https:\/\/127\.0\.0\.1:\d+ +healthy 0\.0\.112-test authenticated$/,
    );
    await terminal.send(["q"]);
    await terminal.waitFor((s) => s.includes("EXIT=0"), "the UI to exit");
  },
);

tmuxTest("term refuses to run when stdin is not a terminal", async () => {
  await using sandbox = await createSandbox();
  await using terminal = await openTmux({ env: sandbox.env, cwd: sandbox.root });
  const command = cliCommandLine(["term"]);
  await terminal.send([`${command} </dev/null; echo EXIT=$?`, "Enter"]);
  const screen = await terminal.waitFor((s) => /EXIT=\d+/.test(s), "the refusal", START_MS);
  assert.match(screen, /^error: The terminal UI needs a terminal: stdin is not a TTY$/m);
  assert.match(screen, /^hint: .*openshell gateway list/m);
  assert.match(screen, /EXIT=1/);
  assert.equal(await terminal.format("#{alternate_on}"), "0");
});

tmuxTest(
  "term marks served the rows gateway list marks: a system gateway served here, not a user one serve did not make",
  async () => {
    await using sandbox = await createSandbox();
    const system = uniqueGatewayName("sys");
    const user = uniqueGatewayName("usr");
    await writeGateway(sandbox.system, system, closedEndpoint(), { auth_mode: "plaintext" });
    await writeGateway(userRoot(sandbox), user, closedEndpoint(), { auth_mode: "plaintext" });
    // Both names have a served record of a live launcher in this user's gateway home.
    const launcher = new Deno.Command("sleep", { args: ["60"] }).spawn();
    const dirs = [system, user].map((name) =>
      join(gatewayHomes(Deno.uid()!)[0]!, "gateways", name)
    );
    try {
      for (const [i, name] of [system, user].entries()) {
        await Deno.mkdir(dirs[i]!, { recursive: true });
        const record = await servedRecordFor(launcher.pid, { name });
        await Deno.writeTextFile(join(dirs[i]!, "served.json"), JSON.stringify(record));
      }
      const list = await runCli(sandbox, ["gateway", "list", "-o", "json"]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(
        JSON.parse(list.stdout).map((e: { name: string; served: boolean }) => [e.name, e.served]),
        [[system, true], [user, false]],
      );
      await using terminal = await openTmux({ env: sandbox.env, cwd: sandbox.root });
      await startTerm(terminal);
      const screen = await terminal.waitFor(
        (s) => row(s, system) !== "" && row(s, user) !== "",
        "both rows",
      );
      assert.match(row(screen, system), new RegExp(`^[> ][* ] ${system} +served +system `));
      assert.match(row(screen, user), new RegExp(`^[> ][* ] ${user} +local +user `));
      await terminal.send(["q"]);
      await terminal.waitFor((s) => /EXIT=0/.test(s), "the UI to exit");
    } finally {
      launcher.kill();
      await launcher.status;
      for (const dir of dirs) await Deno.remove(dir, { recursive: true }).catch(() => {});
    }
  },
);

Deno.test("term refuses to run when stdout is not a terminal, pointing at gateway list", async () => {
  await using sandbox = await createSandbox();
  const result = await runCli(sandbox, ["term"]);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, "");
  assert.match(result.stderr, /^error: The terminal UI needs a terminal: stdout is not a TTY$/m);
  assert.match(result.stderr, /^hint: .*openshell gateway list/m);
});

Deno.test("term --help lists the keys", async () => {
  await using sandbox = await createSandbox();
  const result = await runCli(sandbox, ["term", "--help"]);
  assert.equal(result.code, 0);
  for (const needle of ["Enter", "Ctrl-C", "/healthz", "gateway list"]) {
    assert.ok(result.stdout.includes(needle), needle);
  }
});
