import assert from "node:assert/strict";
import { planGatewayAdd } from "../src/register/mod.ts";
import { parseChoice } from "../src/cli/_gateway_chooser.ts";
import { UsageError } from "../src/errors/user_error.ts";

Deno.test("planGatewayAdd: what upstream writes, from the endpoint and flags", () => {
  const cases: [string, Parameters<typeof planGatewayAdd>[1], Record<string, unknown>][] = [
    ["http://127.0.0.1:8080", {}, {
      name: "openshell",
      gateway_endpoint: "http://127.0.0.1:8080",
      is_remote: false,
      gateway_port: 0,
      auth_mode: "plaintext",
    }],
    ["http://127.0.0.1:8080/", {}, { gateway_endpoint: "http://127.0.0.1:8080/" }],
    ["http://localhost", {}, { name: "openshell", gateway_port: 0, is_remote: false }],
    ["http://LOCALHOST:9", {}, { name: "openshell", gateway_endpoint: "http://LOCALHOST:9" }],
    ["http://127.1.2.3:9", {}, { name: "openshell", is_remote: false }],
    ["http://[::1]:9", {}, { name: "openshell", gateway_endpoint: "http://[::1]:9" }],
    ["http://app.localhost:9", {}, { name: "app.localhost", is_remote: true }],
    ["http://[fe80::1]:9", {}, { name: "[fe80::1]", is_remote: true }],
    ["http://10.0.0.5:9000", {}, { name: "10.0.0.5", is_remote: true }],
    ["http://gw.example.com", { local: true }, { name: "gw.example.com", is_remote: false }],
    ["http://gw.example.com", { name: "corp" }, { name: "corp", is_remote: true }],
    ["http://127.0.0.1:1", { remote: "me@h" }, {
      is_remote: true,
      remote_host: "me@h",
      resolved_host: "h",
    }],
    ["gw.example.com", { remote: "me@gw" }, {
      name: "gw.example.com",
      gateway_endpoint: "https://gw.example.com",
      gateway_port: 0,
      is_remote: true,
      remote_host: "me@gw",
      resolved_host: "gw",
      auth_mode: "mtls",
    }],
    ["gw.example.com:8443", { remote: "gw" }, { remote_host: "gw", resolved_host: "gw" }],
    ["https://127.0.0.1:8443", { local: true }, {
      name: "openshell",
      auth_mode: "mtls",
      is_remote: false,
    }],
    ["HTTP://GW.Example.COM:80/", {}, {
      name: "gw.example.com",
      gateway_endpoint: "HTTP://GW.Example.COM:80/",
      auth_mode: "plaintext",
    }],
  ];
  for (const [endpoint, options, expected] of cases) {
    const { metadata } = planGatewayAdd(endpoint, options);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(metadata[key], value, `${endpoint} ${JSON.stringify(options)}: ${key}`);
    }
  }
  assert.deepEqual(Object.keys(planGatewayAdd("http://h:1", { remote: "u@h" }).metadata), [
    "name",
    "gateway_endpoint",
    "is_remote",
    "gateway_port",
    "remote_host",
    "resolved_host",
    "auth_mode",
  ]);
  const withFiles = planGatewayAdd("https://h", { local: true, ca: "a", cert: "b", key: "c" });
  assert.deepEqual(withFiles.mtls, { ca: "a", cert: "b", key: "c" });
  assert.equal(withFiles.needsCertificates, false);
  const found = planGatewayAdd("https://h", { local: true });
  assert.deepEqual([found.mtls, found.needsCertificates], [undefined, true]);
  assert.equal(planGatewayAdd("http://h", {}).needsCertificates, false);
  assert.equal(planGatewayAdd("http://h", { remote: "a@b.example" }).sshHost, "b.example");
});

Deno.test("planGatewayAdd refuses what it cannot register, as usage errors", () => {
  const refusals: [string, Parameters<typeof planGatewayAdd>[1], RegExp][] = [
    ["https://h.example", {}, /https:\/\/ gateway without --local or --remote.*browser login/],
    ["h.example", {}, /'h.example' has no scheme, so it was read as https:\/\/h.example/],
    ["", {}, /not a URL/],
    ["http://", {}, /invalid endpoint/],
    ["ws://h", {}, /unsupported scheme 'ws'/],
    ["file:///etc/passwd", {}, /unsupported scheme 'file'/],
    ["http://u:p@h", {}, /credentials in the URL/],
    ["http://h/x", {}, /without a path/],
    ["http://h?x=1", {}, /without a path/],
    ["http://h:99999", {}, /port 99999 is out of range \(1-65535\)/],
    ["http://h:65536", {}, /port 65536 is out of range/],
    ["http://h:0", {}, /port 0 cannot be connected to/],
    ["h:00", {}, /port 0 cannot be connected to/],
    ["http://h:x1", {}, /port 'x1' is not a number/],
    ["http://[::1]:70000", {}, /port 70000 is out of range/],
    ["http://h", { local: true, remote: "a@b" }, /cannot be used together/],
    ["http://h", { remote: "a@b@c" }, /expected \[user@\]host/],
    ["http://h", { remote: "-oProxyCommand=x" }, /expected \[user@\]host/],
    ["http://h", { ca: "a", cert: "b", key: "c" }, /https:\/\/ \(mTLS\) gateways only/],
    ["https://h", { local: true, cert: "b" }, /must be given together/],
  ];
  for (const [endpoint, options, pattern] of refusals) {
    assert.throws(() => planGatewayAdd(endpoint, options), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${endpoint}: ${error}`);
      assert.match(error.message, pattern, endpoint);
      return true;
    });
  }
  assert.doesNotThrow(() => planGatewayAdd("http://h:65535", {}));
  assert.match(
    (() => {
      try {
        planGatewayAdd("127.0.0.1:35001", {});
      } catch (error) {
        return (error as UsageError).hint ?? "";
      }
      return "";
    })(),
    /Use http:\/\/127.0.0.1:35001 .* or add --local/,
  );
});

Deno.test("parseChoice: numbers, names, blank cancels, anything else asks again", () => {
  const names = ["a", "b", "10"];
  assert.equal(parseChoice("1", names), "a");
  assert.equal(parseChoice(" 2 \r", names), "b");
  assert.equal(parseChoice("3", names), "10");
  assert.equal(parseChoice("b", names), "b");
  assert.equal(parseChoice("", names), null);
  assert.equal(parseChoice("  ", names), null);
  assert.equal(parseChoice("10", names), "10");
  for (const answer of ["0", "4", "10x", "c", "-1", "1.0"]) {
    assert.equal(parseChoice(answer, names), undefined, answer);
  }
});
