/**
 * Where `serve --name NAME` listens and how clients log in, decided so that serving never
 * changes a registration the user did not ask to change; and the warning for an address on
 * every interface.
 */
import assert from "node:assert/strict";
import { exposureWarning, servedListen } from "../src/serve/mod.ts";
import { parseListenAddress } from "../src/contract/mod.ts";
import { clientAddress } from "../src/runtime/mod.ts";

const reached = (address: string) => clientAddress(parseListenAddress(address));
const defaults = { address: "127.0.0.1:8090", auth: "mtls" } as const;
const decide = (
  given: { address?: string; auth?: "mtls" | "token" },
  registered: string | undefined,
) => servedListen("dev", given, registered, defaults, reached);

Deno.test("serve keeps what it registered unless told otherwise, and refuses to move it", () => {
  // Nothing registered: what is given, else the defaults.
  assert.deepEqual(decide({}, undefined), { kind: "serve", ...defaults });
  assert.deepEqual(decide({ address: "0.0.0.0:9000", auth: "token" }, undefined), {
    kind: "serve",
    address: "0.0.0.0:9000",
    auth: "token",
  });
  // Registered: its address and auth, whatever the defaults say.
  assert.deepEqual(decide({}, "http://127.0.0.1:36042"), {
    kind: "serve",
    address: "127.0.0.1:36042",
    auth: "token",
  });
  assert.deepEqual(decide({}, "https://[::1]:9443"), {
    kind: "serve",
    address: "[::1]:9443",
    auth: "mtls",
  });
  // Given and the same as registered (0.0.0.0 is reached at 127.0.0.1): served as given.
  assert.deepEqual(decide({ address: "0.0.0.0:36042", auth: "token" }, "http://127.0.0.1:36042"), {
    kind: "serve",
    address: "0.0.0.0:36042",
    auth: "token",
  });
  // Given and different: refused, with the commands that keep or replace it.
  for (const given of [{ address: "127.0.0.1:8090" }, { auth: "mtls" as const }]) {
    const refused = decide(given, "http://127.0.0.1:36042");
    assert.equal(refused.kind, "conflict", JSON.stringify(given));
    if (refused.kind !== "conflict") continue;
    assert.match(
      refused.message,
      /^Gateway "dev" is registered at http:\/\/127\.0\.0\.1:36042; serving it (on 127\.0\.0\.1:8090|with --auth mtls) would change its registration$/,
    );
    assert.match(refused.hint, /`openshell serve --name dev`.*`openshell gateway remove dev`/);
  }
  // A registration that is no URL is not kept.
  assert.deepEqual(decide({}, "not a url"), { kind: "serve", ...defaults });
});

Deno.test("an address on every interface is warned about, plaintext said so", () => {
  assert.equal(exposureWarning({ hostname: "127.0.0.1", port: 8090 }, "token"), undefined);
  assert.equal(exposureWarning({ hostname: "::1", port: 8090 }, "mtls"), undefined);
  assert.match(
    exposureWarning({ hostname: "0.0.0.0", port: 8090 }, "token")!,
    /^--listen 0\.0\.0\.0:8090 serves the gateway on every interface, in plaintext/,
  );
  assert.match(
    exposureWarning({ hostname: "::", port: 8090 }, "mtls")!,
    /^--listen \[::\]:8090 serves the gateway on every interface, to every host/,
  );
});
