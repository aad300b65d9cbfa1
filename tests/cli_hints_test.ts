/**
 * Every command the program prints for its user to run works in the situation that printed
 * it. The commands are found in the sources (each call of `programCommand`, the one function
 * that prints them); each has a case here that makes the program print it, pastes it into a
 * shell as the user would (placeholders filled in) and checks it does what the hint says. A
 * printed command without a case, or a case for one that is gone, fails the first test.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import {
  type Certificates,
  makeCertificates,
  placeClientCertificates,
  serveHttps,
} from "./_helpers/certificates.ts";
import { gatewayMtlsDir, mtlsFilePaths } from "../src/registry/mod.ts";
import { packageTlsFiles } from "../src/client/mod.ts";
import { sandboxRoots } from "./registry_fixture.ts";
import { freePort, portFree, serveLoopback } from "./_helpers/loopback.ts";
import {
  hintCommands,
  printedCommand,
  runPrinted,
  type RunPrintedOptions,
  startPrinted,
} from "./_helpers/printed_command.ts";
import { createSandbox, REPO, runCli, type Sandbox } from "./_helpers/sandbox.ts";
import { createServeSandbox, uniqueGatewayName } from "./_helpers/serve_fixture.ts";
import { type CommandResult, onPath } from "./_helpers/run_command.ts";
import { renderScreen } from "../src/term/_screen_lines.ts";
import { initialState, reduce } from "../src/term/term_state.ts";

/** The printed-command call sites of `src/`: `file: arguments` (`#n` for a repeat in a file). */
async function printedCommandSites(): Promise<string[]> {
  const sites: string[] = [];
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) await walk(path);
      else if (entry.name.endsWith(".ts") && entry.name !== "printable_text.ts") {
        const text = await Deno.readTextFile(path);
        const seen = new Map<string, number>();
        for (let at = text.indexOf("programCommand("); at >= 0;) {
          let depth = 0;
          let end = at + "programCommand".length;
          for (; end < text.length; end++) {
            if (text[end] === "(") depth++;
            if (text[end] === ")" && --depth === 0) break;
          }
          const args = text.slice(at + "programCommand(".length, end).replace(/\s+/g, " ")
            .replace(/,\s*$/, "").trim();
          const key = `${relative(REPO, path)}: ${args}`;
          const n = (seen.get(key) ?? 0) + 1;
          seen.set(key, n);
          sites.push(n === 1 ? key : `${key} #${n}`);
          at = text.indexOf("programCommand(", end);
        }
      }
    }
  };
  await walk(join(REPO, "src"));
  return sites.sort();
}

/** What a case has to work with. */
interface Situation {
  sandbox: Sandbox;
  run: (args: string[], env?: Record<string, string>) => Promise<CommandResult>;
  paste: (command: string, fill?: Record<string, string>) => Promise<CommandResult>;
  options: RunPrintedOptions;
}

/** One situation that prints commands, and what following each must do. */
interface HintCase {
  /** The call sites (as {@linkcode printedCommandSites} names them) this case covers. */
  sites: string[];
  /** Needs root and youki (it serves). */
  serves?: boolean;
  test(situation: Situation): Promise<void>;
}

function ok(result: CommandResult, what = ""): CommandResult {
  assert.equal(result.code, 0, `${what}\n${result.stderr}`);
  return result;
}

/** The one hint command of `result` that starts with `start`. */
function hinted(result: CommandResult, start: string): string {
  const found = hintCommands(result.stderr).filter((c) => c.startsWith(start));
  assert.equal(found.length, 1, `one "${start} ..." hint in:\n${result.stderr}`);
  return found[0]!;
}

/** The files of `certs` for a printed `gateway add`'s certificate placeholders. */
function certificateFill(certs: Certificates): Record<string, string> {
  return { "<ca.crt>": certs.ca, "<tls.crt>": certs.client.cert, "<tls.key>": certs.client.key };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, JSON.stringify(value, null, 2));
}

/** A registration as `serve` leaves it (its marker beside it), without serving. */
async function servedRegistration(sandbox: Sandbox, name: string, port: number): Promise<void> {
  const dir = join(sandbox.config, "openshell/gateways", name);
  await writeJson(join(dir, "metadata.json"), {
    name,
    gateway_endpoint: `http://127.0.0.1:${port}`,
    is_remote: false,
    gateway_port: port,
    auth_mode: "plaintext",
  });
  await writeJson(join(dir, "serve.json"), { served: true });
}

async function systemEntry(sandbox: Sandbox, name: string, endpoint: string): Promise<void> {
  await writeJson(join(sandbox.system, "gateways", name, "metadata.json"), {
    name,
    gateway_endpoint: endpoint,
    is_remote: false,
    gateway_port: 0,
    auth_mode: "plaintext",
  });
}

async function listedNames(situation: Situation): Promise<string[]> {
  const list = ok(await situation.run(["gateway", "list", "-o", "json"]));
  return (JSON.parse(list.stdout) as { name: string }[]).map((r) => r.name);
}

/** `doctor -o json`'s remedy of `check`, and the commands in it. */
async function doctorRemedy(situation: Situation, check: string): Promise<string[]> {
  const doctor = await situation.run([
    "doctor",
    "-o",
    "json",
    "--listen",
    `127.0.0.1:${freePort()}`,
  ]);
  const found = (JSON.parse(doctor.stdout) as { check: string; remedy: string | null }[])
    .find((c) => c.check === check && c.remedy !== null);
  assert.ok(found, `doctor has a remedy for ${check}: ${doctor.stdout}`);
  return [...found.remedy!.matchAll(/`(openshell [^`]*)`/g)].map((m) => m[1]!);
}

/**
 * Serves through a printed foreground `serve` until it answers, checks that gateway `name`
 * answers where it is registered (at `port`), then stops it.
 */
async function servesUntilReady(situation: Situation, command: string, name: string, port: number) {
  await using serve = startPrinted(command, situation.options);
  await serve.waitFor(/is ready at/);
  const status = ok(await situation.run(["-g", name, "status", "-o", "json"]));
  assert.match(JSON.parse(status.stdout).server, new RegExp(`:${port}$`));
  assert.equal((await serve.stop()).code, 0);
}

const CASES: HintCase[] = [
  {
    sites: [
      'src/cli/_gateway_list.ts: "gateway", "add", fillIn("<endpoint>")',
      'src/cli/_term_command.ts: "gateway", "list"',
    ],
    async test(s) {
      const empty = ok(await s.run(["gateway", "list"]));
      ok(
        await s.paste(hinted(empty, "openshell gateway add"), {
          "<endpoint>": "http://127.0.0.1:9",
        }),
      );
      assert.deepEqual(await listedNames(s), ["openshell"]);
      const term = await s.run(["term"]); // no terminal: it says how to list instead
      assert.equal(term.code, 1);
      assert.match(ok(await s.paste(hinted(term, "openshell gateway list"))).stdout, /openshell/);
    },
  },
  {
    sites: ['src/term/_screen_lines.ts: "gateway", "add", fillIn("<endpoint>")'],
    async test(s) {
      // What term shows for an empty registry, rendered as it draws it.
      const empty = reduce(initialState("0"), {
        type: "registry",
        snapshot: { rows: [], active: undefined, activeError: undefined, error: undefined },
      }).state;
      const screen = renderScreen(empty, { columns: 100, rows: 20 }).map((l) => l.text).join("\n");
      const command = printedCommand(screen, "openshell gateway add");
      ok(await s.paste(command, { "<endpoint>": "http://127.0.0.1:9" }));
      assert.deepEqual(await listedNames(s), ["openshell"]);
    },
  },
  {
    sites: [
      'src/cli/_status_command.ts: "gateway", "add", fillIn("<endpoint>")',
      'src/cli/_status_command.ts: "serve"',
    ],
    serves: true,
    async test(s) {
      const none = ok(await s.run(["status"]));
      const { endpoint, server } = serveLoopback(() => new Response("ok"));
      try {
        ok(await s.paste(hinted(none, "openshell gateway add"), { "<endpoint>": endpoint }));
        ok(await s.run(["status"]), "the added gateway answers");
      } finally {
        await server.shutdown();
      }
      ok(await s.run(["gateway", "remove", "openshell"]));
      const port = 8090;
      if (!portFree(port)) return; // the default port is someone else's here
      await servesUntilReady(s, hinted(none, "openshell serve"), "local", port);
    },
  },
  {
    sites: [
      'src/cli/_gateway_context.ts: "gateway", "list"',
      'src/cli/_gateway_context.ts: "gateway", "select"',
      'src/cli/_gateway_context.ts: "gateway", verb, fillIn("<name>")',
      'src/cli/_gateway_context.ts: "gateway", "list" #2',
      'src/cli/_gateway_select.ts: "gateway", "select", fillIn("<name>")',
    ],
    async test(s) {
      ok(await s.run(["gateway", "add", "http://127.0.0.1:9", "--name", "real", "--no-activate"]));
      // No gateway active: the verb with a name works.
      const info = await s.run(["gateway", "info"]);
      assert.equal(info.code, 2);
      ok(await s.paste(hinted(info, "openshell gateway info"), { "<name>": "real" }));
      ok(await s.paste(hinted(info, "openshell gateway list")));
      // OPENSHELL_GATEWAY naming nothing: the listing names what it may be set to.
      const env = await s.run(["status"], { OPENSHELL_GATEWAY: "gone" });
      assert.match(ok(await s.paste(hinted(env, "openshell gateway list"))).stdout, /real/);
      // The active file naming nothing: select, which without a terminal lists and says how.
      await Deno.writeTextFile(join(s.sandbox.config, "openshell/active_gateway"), "gone");
      const active = await s.run(["status"]);
      const select = await s.paste(hinted(active, "openshell gateway select"));
      assert.equal(select.code, 0, select.stderr);
      const named = hinted(select, "openshell gateway select");
      ok(await s.paste(named, { "<name>": "real" }));
      ok(await s.run(["gateway", "info"]), "real is active now");
    },
  },
  {
    sites: ['src/cli/_gateway_select.ts: "gateway", "add", fillIn("<endpoint>")'],
    async test(s) {
      const none = await s.run(["gateway", "select"]);
      ok(
        await s.paste(hinted(none, "openshell gateway add"), {
          "<endpoint>": "http://127.0.0.1:9",
        }),
      );
      ok(await s.run(["gateway", "select", "openshell"]));
    },
  },
  {
    sites: [
      'src/register/write_registry.ts: "gateway", "remove", name',
      'src/register/write_registry.ts: "gateway", "list"',
      'src/cli/_gateway_remove.ts: "gateway", "list"',
      'src/registry/list_gateways.ts: "gateway", "list"',
    ],
    async test(s) {
      ok(await s.run(["gateway", "add", "http://127.0.0.1:9", "--name", "ux s4"]));
      const again = await s.run(["gateway", "add", "http://127.0.0.1:10", "--name", "ux s4"]);
      ok(await s.paste(hinted(again, "openshell gateway remove")));
      ok(await s.run(["gateway", "add", "http://127.0.0.1:10", "--name", "ux s4"]), "then it adds");
      for (const args of [["gateway", "remove", "nope"], ["gateway", "remove", "nope", "ux s4"]]) {
        const failed = await s.run(args);
        assert.equal(failed.code, 1);
        ok(await s.paste(hinted(failed, "openshell gateway list")));
      }
      const info = await s.run(["gateway", "info", "nope"]);
      assert.match(ok(await s.paste(hinted(info, "openshell gateway list"))).stderr, /No gateways/);
    },
  },
  {
    sites: [
      'src/register/rename_gateway.ts: "gateway", "add", fillIn("<endpoint>"), "--name", to',
      'src/register/rename_gateway.ts: "gateway", "list"',
      'src/register/rename_gateway.ts: "gateway", "remove", to',
    ],
    async test(s) {
      await systemEntry(s.sandbox, "sys", "http://127.0.0.1:7");
      const system = await s.run(["gateway", "rename", "sys", "mine"]);
      ok(
        await s.paste(hinted(system, "openshell gateway add"), {
          "<endpoint>": "http://127.0.0.1:7",
        }),
      );
      assert.ok((await listedNames(s)).includes("mine"));
      const unknown = await s.run(["gateway", "rename", "nope", "x"]);
      ok(await s.paste(hinted(unknown, "openshell gateway list")));
      ok(await s.run(["gateway", "add", "http://127.0.0.1:8", "--name", "b c"]));
      const taken = await s.run(["gateway", "rename", "mine", "b c"]);
      ok(await s.paste(hinted(taken, "openshell gateway remove")));
      ok(await s.run(["gateway", "rename", "mine", "b c"]), "then it renames");
    },
  },
  {
    sites: [
      'src/register/system_seed.ts: "gateway", "add", fillIn("<endpoint>")',
      'src/register/system_seed.ts: "system", "add", request.name, fillIn("<endpoint>"), "--system-dir", request.systemDir',
    ],
    async test(s) {
      const user = join(s.sandbox.config, "openshell");
      const refused = await s.run([
        "system",
        "add",
        "x",
        "http://127.0.0.1:9",
        "--system-dir",
        user,
      ]);
      assert.equal(refused.code, 2);
      ok(
        await s.paste(hinted(refused, "openshell gateway add"), {
          "<endpoint>": "http://127.0.0.1:9",
        }),
      );
      const dir = join(s.sandbox.root, "seed dir");
      const unseeded = await s.run(["system", "select", "lan", "--system-dir", dir]);
      assert.equal(unseeded.code, 1);
      ok(
        await s.paste(hinted(unseeded, "openshell system add"), {
          "<endpoint>": "http://10.0.0.2:80",
        }),
      );
      ok(await s.run(["system", "select", "lan", "--system-dir", dir]), "then it selects");
    },
  },
  {
    sites: [
      'src/registry/gateway_metadata.ts: "gateway", "list"',
      'src/doctor/doctor_checks.ts: "gateway", "remove", p.name',
      'src/doctor/doctor_checks.ts: "gateway", "select", fillIn("<name>")',
      'src/doctor/doctor_checks.ts: "gateway", "list"',
      'src/doctor/doctor_checks.ts: "gateway", "remove", s.name',
    ],
    async test(s) {
      const bad = join(s.sandbox.config, "openshell/gateways/bad one/metadata.json");
      await writeJson(bad, { name: "bad one" });
      const info = await s.run(["gateway", "info", "bad one"]);
      const listed = ok(await s.paste(hinted(info, "openshell gateway list")));
      assert.match(listed.stderr, /bad one/, "the listing names the entry it cannot read");
      const [remove] = await doctorRemedy(s, "registry files");
      ok(await s.paste(remove!));
      assert.equal(await Deno.stat(bad).catch(() => undefined), undefined);

      ok(await s.run(["gateway", "add", "http://127.0.0.1:9", "--name", "real", "--no-activate"]));
      await Deno.writeTextFile(join(s.sandbox.config, "openshell/active_gateway"), "gone");
      const [select, list] = await doctorRemedy(s, "active gateway");
      ok(await s.paste(list!));
      ok(await s.paste(select!, { "<name>": "real" }));

      await systemEntry(s.sandbox, "dup", "http://127.0.0.1:7");
      ok(await s.run(["gateway", "add", "http://127.0.0.1:8", "--name", "dup", "--no-activate"]));
      const [uncover] = await doctorRemedy(s, "shadowed entries");
      ok(await s.paste(uncover!));
      const rows = JSON.parse(ok(await s.run(["gateway", "list", "-o", "json"])).stdout);
      assert.ok(
        rows.some((r: { name: string; source: string }) =>
          r.name === "dup" && r.source === "system"
        ),
      );
    },
  },
  {
    sites: [
      'src/doctor/doctor_checks.ts: "bundle", "gc", "--all"',
      'src/doctor/doctor_checks.ts: "bundle", "unpack"',
    ],
    async test(s) {
      const path = ok(await s.run(["bundle", "unpack"])).stdout.trim();
      await Deno.remove(join(path, "etc/passwd")).catch(() => Deno.remove(join(path, "etc")));
      const [gc, unpack] = await doctorRemedy(s, "rootfs cache");
      ok(await s.paste(gc!));
      ok(await s.paste(unpack!));
      const doctor = JSON.parse((await s.run(["doctor", "-o", "json"])).stdout);
      const image = doctor.find((c: { check: string }) => c.check === "rootfs cache");
      assert.equal(image.status, "ok", image.found);
    },
  },
  {
    sites: ['src/doctor/doctor_checks.ts: "serve", "--listen", fillIn("127.0.0.1:<port>")'],
    serves: true,
    async test(s) {
      using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const doctor = await s.run([
        "doctor",
        "-o",
        "json",
        "--listen",
        `127.0.0.1:${taken.addr.port}`,
      ]);
      const check = JSON.parse(doctor.stdout).find((c: { check: string }) =>
        c.check === "listen port"
      );
      const [serve] = [...check.remedy.matchAll(/`(openshell [^`]*)`/g)].map((m) => m[1]!);
      const port = freePort();
      await using running = startPrinted(serve!.replace("<port>", String(port)), s.options);
      await running.waitFor(/is ready at/);
      assert.equal((await running.stop()).code, 0);
    },
  },
  {
    sites: [
      'src/cli/_gateway_add.ts: "gateway", "add", endpoint, "--local"',
      'src/cli/_gateway_add.ts: "gateway", "add", endpoint, "--remote", fillIn("<[user@]host>")',
    ],
    async test(s) {
      const certs = await makeCertificates(s.sandbox.root);
      const local = await s.run(["gateway", "add", "https://127.0.0.1:8443", "--local"]);
      assert.equal(local.code, 1);
      // "Start the gateway package first": what it provisions, where it does.
      await placeClientCertificates(certs, packageTlsFiles(join(s.sandbox.state, "openshell/tls")));
      ok(await s.paste(hinted(local, "openshell gateway add")));
      const remote = await s.run([
        "gateway",
        "add",
        "https://gw.example:8443",
        "--remote",
        "me@gw",
      ]);
      assert.equal(remote.code, 1);
      // "or give --ca/--cert/--key": the files the retry finds in the registry.
      const mtls = gatewayMtlsDir(sandboxRoots(s.sandbox), "gw.example");
      await placeClientCertificates(certs, mtlsFilePaths(mtls));
      ok(await s.paste(hinted(remote, "openshell gateway add"), { "<[user@]host>": "me@gw" }));
    },
  },
  {
    sites: [
      'src/client/gateway_health.ts: "gateway", "add", fillIn("<endpoint>"), "--name", target.name, "--replace"',
      'src/client/gateway_health.ts: "gateway", "info", target.name',
      'src/client/gateway_health.ts: "gateway", "info", target.name #2',
      'src/client/gateway_health.ts: "gateway", "add", target.endpoint, "--name", target.name, ...where, ...certificateFlags(), "--replace"',
      'src/client/gateway_health.ts: "gateway", "add", target.endpoint, ...named, ...gatewayAddKind(host), ...certificateFlags()',
    ],
    async test(s) {
      const { endpoint, server } = serveLoopback(() => new Response("ok"));
      try {
        await writeJson(join(s.sandbox.config, "openshell/gateways/odd/metadata.json"), {
          name: "odd",
          gateway_endpoint: "ftp://127.0.0.1:21",
          is_remote: false,
          gateway_port: 0,
        });
        const odd = await s.run(["-g", "odd", "status"]);
        ok(await s.paste(hinted(odd, "openshell gateway add"), { "<endpoint>": endpoint }));
        ok(await s.run(["-g", "odd", "status"]), "replaced, it answers");
      } finally {
        await server.shutdown();
      }
      ok(await s.run(["gateway", "add", "http://no-such-host.invalid:80", "--name", "dns"]));
      const dns = await s.run(["-g", "dns", "status"]);
      assert.match(ok(await s.paste(hinted(dns, "openshell gateway info"))).stdout, /no-such-host/);
      ok(await s.run(["gateway", "add", `http://127.0.0.1:${freePort()}`, "--name", "down"]));
      const down = await s.run(["-g", "down", "status"]);
      assert.doesNotMatch(down.stderr, /`openshell serve/, "someone else's gateway: not served");
      ok(await s.paste(hinted(down, "openshell gateway info")));
      // Asked directly, an endpoint no registration holds has no registration to show.
      const gone = await s.run(["--gateway-endpoint", `http://127.0.0.1:${freePort()}`, "status"]);
      assert.match(
        gone.stderr,
        /\nhint: nothing answers on this machine; start the gateway that listens there\n$/,
      );

      const certs = await makeCertificates(s.sandbox.root);
      const other = await makeCertificates(await Deno.makeTempDir({ dir: s.sandbox.root }));
      const tls = await serveHttps(certs);
      try {
        const url = `https://127.0.0.1:${tls.addr.port}`;
        // Asked directly, no registration holds it: registering it with its certificates.
        const direct = await s.run(["--gateway-endpoint", url, "status"]);
        assert.equal(direct.code, 1);
        const fill = certificateFill(certs);
        ok(await s.paste(hinted(direct, "openshell gateway add"), fill));
        ok(await s.run(["--gateway-endpoint", url, "status"]), "registered: it answers");
        // Named by -g, it is registered under that name, and asked by it again.
        const named = await s.run(["-g", "edge", "--gateway-endpoint", url, "status"]);
        assert.equal(named.code, 1);
        ok(await s.paste(hinted(named, "openshell gateway add"), fill));
        ok(await s.run(["-g", "edge", "--gateway-endpoint", url, "status"]), "named: it answers");
        ok(
          await s.run([
            "gateway",
            "add",
            url,
            "--name",
            "tls",
            "--local",
            "--ca",
            other.ca,
            "--cert",
            other.client.cert,
            "--key",
            other.client.key,
          ]),
        ); // deno-fmt-ignore
        const untrusted = await s.run(["-g", "tls", "status"]);
        assert.equal(untrusted.code, 1);
        ok(
          await s.paste(hinted(untrusted, "openshell gateway add"), fill),
        );
        ok(await s.run(["-g", "tls", "status"]), "the right certificates: it answers");
      } finally {
        await tls.shutdown();
      }
      // Another host's gateway (one of this host's own addresses that is not loopback) is
      // registered as remote, over SSH to that host.
      const address = Deno.networkInterfaces().find((i) =>
        i.family === "IPv4" && !i.address.startsWith("127.")
      )?.address;
      if (address === undefined) {
        console.warn("no address but loopback here: a remote gateway's hint is not run");
        return;
      }
      const away = await makeCertificates(
        await Deno.makeTempDir({ dir: s.sandbox.root }),
        [address],
      );
      const remote = await serveHttps(away, address);
      try {
        const url = `https://${address}:${remote.addr.port}`;
        const direct = await s.run(["-g", "away", "--gateway-endpoint", url, "status"]);
        assert.equal(direct.code, 1);
        ok(
          await s.paste(hinted(direct, "openshell gateway add"), certificateFill(away)),
        );
        ok(await s.run(["-g", "away", "--gateway-endpoint", url, "status"]), "it answers");
        const listed = JSON.parse(ok(await s.run(["gateway", "list", "-o", "json"])).stdout);
        assert.deepEqual(
          listed.filter((g: { name: string }) => g.name === "away")
            .map((g: Record<string, unknown>) => [g.type, g.is_remote, g.remote_host]),
          [["remote", true, address]],
        );
      } finally {
        await remote.shutdown();
      }
    },
  },
  {
    sites: [
      'src/cli/_gateway_stop.ts: "gateway", "info", name',
      'src/cli/_gateway_logs.ts: "gateway", "info", target',
    ],
    async test(s) {
      ok(await s.run(["gateway", "add", "http://127.0.0.1:9", "--name", "added one"]));
      for (const verb of ["stop", "logs"]) {
        const refused = await s.run(["gateway", verb, "added one"]);
        assert.equal(refused.code, 1);
        assert.doesNotMatch(refused.stderr, /`openshell serve/);
        assert.match(
          ok(await s.paste(hinted(refused, "openshell gateway info"))).stdout,
          /127\.0\.0\.1:9/,
        );
      }
    },
  },
  {
    sites: [
      'src/serve/served_listen.ts: "serve", "--name", name',
      'src/serve/served_listen.ts: "gateway", "remove", name',
      'src/client/gateway_health.ts: "serve", "--name", target.name',
      'src/cli/_gateway_stop.ts: "serve", "--name", target, "--detach"',
      'src/cli/_gateway_logs.ts: "serve", "--name", target, "--detach"',
      'src/cli/_serve_run.ts: "gateway", "stop", name',
      'src/cli/_serve_run.ts: "gateway", "logs", name, "-f"',
      'src/cli/_served_here.ts: "gateway", "stop", name',
    ],
    serves: true,
    async test(s) {
      const name = `ux ${uniqueGatewayName("h")}`;
      const port = freePort();
      await servedRegistration(s.sandbox, name, port);
      // status of the stopped gateway: serving it again keeps where it is registered.
      const down = await s.run(["-g", name, "status"]);
      await servesUntilReady(s, hinted(down, "openshell serve"), name, port);
      // serve elsewhere: refused, and each way out works.
      const moved = await s.run(["serve", "--name", name, "--listen", `127.0.0.1:${freePort()}`]);
      assert.equal(moved.code, 1);
      await servesUntilReady(s, hinted(moved, "openshell serve"), name, port);
      // gateway stop and logs of it, not served: serving it in the background.
      const stop = ok(await s.run(["gateway", "stop", name]), "already stopped");
      const detached = ok(await s.paste(hinted(stop, "openshell serve")));
      ok(await s.paste(printedCommand(detached.stderr, "openshell gateway stop")));
      // A gateway serve registered that never ran detached has no log yet.
      await servedRegistration(s.sandbox, `${name}x`, freePort());
      const logs = await s.run(["gateway", "logs", `${name}x`]);
      const served = ok(await s.paste(hinted(logs, "openshell serve")));
      const follow = startPrinted(
        printedCommand(served.stderr, "openshell gateway logs"),
        s.options,
      );
      await follow.waitFor(/is ready at/);
      assert.equal((await follow.stop("SIGINT")).code, 0);
      const rename = await s.run(["gateway", "rename", `${name}x`, "y"]);
      ok(await s.paste(hinted(rename, "openshell gateway stop")));
      ok(await s.run(["gateway", "rename", `${name}x`, "y"]), "stopped, it renames");
      ok(await s.paste(hinted(moved, "openshell gateway remove")));
      assert.ok(!(await listedNames(s)).includes(name));
    },
  },
  {
    sites: [
      'src/cli/_gateway_stop.ts: "serve", "--name", name, "--detach"',
      'src/cli/_gateway_stop.ts: "gateway", "list"',
    ],
    serves: true,
    async test(s) {
      const unknown = await s.run(["gateway", "stop", "new one"]);
      assert.equal(unknown.code, 1);
      ok(await s.paste(hinted(unknown, "openshell gateway list")));
      if (!portFree(8090)) return; // serve's default port is someone else's here
      const served = ok(await s.paste(hinted(unknown, "openshell serve")));
      ok(await s.paste(printedCommand(served.stderr, "openshell gateway stop")));
    },
  },
  {
    sites: ['src/cli/_bundle_command.ts: "bundle", "kube", "--token-file", "token"'],
    async test(s) {
      const none = await s.run(["bundle", "kube"]);
      assert.equal(none.code, 2);
      // The hint is a shell line that makes the token first: run it as it is.
      const line = none.stderr.split("\n").find((l) => l.startsWith("hint: "))!;
      const kube = ok(await s.paste(line.slice("hint: ".length)));
      assert.match(kube.stdout, /^kind: Deployment$/m);
      assert.ok((await Deno.stat(join(s.sandbox.root, "token"))).isFile);
    },
  },
  {
    sites: ['src/cli/_gateway_stop.ts: "serve", "--name", name'],
    serves: true,
    async test(s) {
      const name = uniqueGatewayName("k");
      const port = freePort();
      const served = ok(
        await s.run([
          "serve",
          "--detach",
          "--name",
          name,
          "--listen",
          `127.0.0.1:${port}`,
          "--auth",
          "token",
          "-o",
          "json",
        ]),
      );
      const { pid } = JSON.parse(served.stdout);
      Deno.kill(pid, "SIGKILL"); // the launcher dies; its container stays
      await new Promise((resolve) => setTimeout(resolve, 500));
      const stop = await s.run(["gateway", "stop", name]);
      assert.match(stop.stderr, /left container/);
      await servesUntilReady(s, hinted(stop, "openshell serve"), name, port);
    },
  },
];

const canServe = Deno.uid() === 0 && (await onPath("youki"));

Deno.test("every printed command of the sources has a case, and every case a printed command", async () => {
  const sites = await printedCommandSites();
  assert.ok(sites.length > 30, sites.join("\n"));
  const covered = CASES.flatMap((c) => c.sites).sort();
  assert.deepEqual(
    sites.filter((site) => !covered.includes(site)),
    [],
    "printed commands without a case",
  );
  assert.deepEqual(covered.filter((site) => !sites.includes(site)), [], "cases of nothing");
});

for (const hintCase of CASES) {
  Deno.test({
    name: `printed commands work: ${hintCase.sites.map((s) => s.replace(/^src\//, "")).join("; ")}`,
    ignore: hintCase.serves === true && !canServe,
    async fn() {
      await using sandbox = hintCase.serves ? await createServeSandbox() : await createSandbox();
      const options = { env: sandbox.env, cwd: sandbox.root };
      await hintCase.test({
        sandbox,
        run: (args, env = {}) => runCli(sandbox, args, { env }),
        paste: (command, fill = {}) => runPrinted(command, { ...options, fill }),
        options,
      });
    },
  });
}
