import assert from "node:assert/strict";
import { planGatewayAdd } from "../src/cli/gateway_add_plan.ts";
import { parseChoice } from "../src/cli/gateway_chooser.ts";
import { UsageError } from "../src/user_error.ts";

Deno.test("planGatewayAdd: names, types, ports and auth from the endpoint and flags", () => {
  const cases: [string, Parameters<typeof planGatewayAdd>[1], Record<string, unknown>][] = [
    ["http://127.0.0.1:8080", {}, {
      name: "openshell",
      gateway_endpoint: "http://127.0.0.1:8080",
      is_remote: false,
      gateway_port: 8080,
      auth_mode: "plaintext",
    }],
    ["http://localhost", {}, { name: "openshell", gateway_port: 80, is_remote: false }],
    ["http://[::1]:9", {}, { name: "openshell", gateway_endpoint: "http://[::1]:9" }],
    ["http://10.0.0.5:9000", {}, { name: "10.0.0.5", is_remote: true }],
    ["http://gw.example.com", { local: true }, { name: "gw.example.com", is_remote: false }],
    ["http://gw.example.com", { name: "corp" }, { name: "corp", is_remote: true }],
    ["gw.example.com", { remote: "me@gw" }, {
      name: "gw.example.com",
      gateway_endpoint: "https://gw.example.com",
      gateway_port: 443,
      is_remote: true,
      remote_host: "me@gw",
      auth_mode: "mtls",
    }],
    ["https://127.0.0.1:8443", { local: true }, {
      name: "openshell",
      auth_mode: "mtls",
      is_remote: false,
    }],
    ["HTTP://GW.Example.COM:80/", {}, {
      name: "gw.example.com",
      gateway_endpoint: "http://gw.example.com",
    }],
  ];
  for (const [endpoint, options, expected] of cases) {
    const { metadata } = planGatewayAdd(endpoint, options);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(metadata[key], value, `${endpoint} ${JSON.stringify(options)}: ${key}`);
    }
  }
  const withFiles = planGatewayAdd("https://h", { local: true, ca: "a", cert: "b", key: "c" });
  assert.deepEqual(withFiles.mtls, { ca: "a", cert: "b", key: "c" });
  assert.equal(planGatewayAdd("https://h", { local: true }).mtls, undefined);
});

Deno.test("planGatewayAdd refuses what it cannot register, as usage errors", () => {
  const refusals: [string, Parameters<typeof planGatewayAdd>[1], RegExp][] = [
    ["https://h.example", {}, /browser login/],
    ["h.example", {}, /browser login/],
    ["", {}, /not a URL/],
    ["http://", {}, /invalid endpoint/],
    ["ws://h", {}, /unsupported scheme 'ws'/],
    ["file:///etc/passwd", {}, /unsupported scheme 'file'/],
    ["http://u:p@h", {}, /credentials in the URL/],
    ["http://h/x", {}, /without a path/],
    ["http://h?x=1", {}, /without a path/],
    ["http://h:99999", {}, /not a URL/],
    ["http://h", { local: true, remote: "a@b" }, /cannot be used together/],
    ["http://h", { remote: "nohost" }, /expected user@host/],
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
