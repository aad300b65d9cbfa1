import assert from "node:assert/strict";
import { join } from "node:path";
import { MAX_METADATA_DEPTH, nestingDepth } from "../src/registry/gateway_metadata.ts";
import { type GatewayMetadata, parseGatewayMetadata, readActiveFile } from "../src/registry/mod.ts";
import { addUserGateway, removeUserGateway, writeUserGatewayFile } from "../src/register/mod.ts";
import { UserError } from "../src/errors/user_error.ts";
import { createSandbox } from "./_helpers/sandbox.ts";
import {
  metadataFor,
  sandboxRoots,
  snapshotTree,
  writeActive,
  writeEntry,
} from "./registry_fixture.ts";

Deno.test("nestingDepth counts brackets outside strings only", () => {
  const cases: [string, number][] = [
    ["{}", 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['{"a":"[[[[{{{"}', 1],
    ['{"a":"\\"[[["}', 1],
    ['{"a":"\\\\","b":[[]]}', 3],
    ["[".repeat(100_000), 100_000],
    ["", 0],
  ];
  for (const [text, depth] of cases) assert.equal(nestingDepth(text), depth, text.slice(0, 40));
});

Deno.test("metadata deeper than the limit is refused naming the file; at the limit it is read", async () => {
  const at = (depth: number) =>
    JSON.stringify(metadataFor("d")).replace(
      /}$/,
      `,"x":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`,
    );
  const metadata = await parseGatewayMetadata(at(MAX_METADATA_DEPTH), "m.json");
  assert.equal(metadata.name, "d");
  await assert.rejects(
    parseGatewayMetadata(at(MAX_METADATA_DEPTH + 1), "m.json"),
    (error: Error) =>
      error instanceof UserError &&
      error.message ===
        `Cannot parse metadata "m.json": nested deeper than ${MAX_METADATA_DEPTH} levels`,
  );
});

Deno.test("metadata too deep is refused as such whatever else is wrong with it", async () => {
  const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  const over = MAX_METADATA_DEPTH + 1;
  const texts = [
    deep(over), // not an object
    "[".repeat(over), // not JSON
    `${JSON.stringify(metadataFor("d")).slice(0, -1)},"x":${"[".repeat(over)}`, // cut short
    JSON.stringify({ ...metadataFor("d"), cf_team_domain: "t", x: JSON.parse(deep(over)) }),
    JSON.stringify({ ...metadataFor("d"), x: { y: JSON.parse(deep(over)) } }),
  ];
  for (const text of texts) {
    await assert.rejects(
      parseGatewayMetadata(text, "m.json"),
      (error: Error) =>
        error.message ===
          `Cannot parse metadata "m.json": nested deeper than ${MAX_METADATA_DEPTH} levels`,
      text.slice(0, 60),
    );
  }
  // An unknown field holding a shallow object or array is kept as it is.
  const shallow = { ...metadataFor("d"), x: { y: [1, { z: null }] } };
  assert.deepEqual(await parseGatewayMetadata(JSON.stringify(shallow), "m.json"), shallow);
});

Deno.test("credential writes and add refuse a symlinked gateway directory; nothing lands outside", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const outside = join(sandbox.root, "outside");
  await Deno.mkdir(outside);
  await Deno.mkdir(join(roots.user, "gateways"), { recursive: true });
  await Deno.symlink(outside, join(roots.user, "gateways/corp"));
  await assert.rejects(
    writeUserGatewayFile(roots, "corp", "token", "secret"),
    /Refusing to write through the symbolic link ".*gateways\/corp" \(to ".*outside"\)/,
  );
  await assert.rejects(
    addUserGateway(roots, metadataFor("corp") as GatewayMetadata),
    /Refusing to write through the symbolic link/,
  );
  assert.deepEqual(await snapshotTree(outside), {});
  // A file where the gateway directory belongs is refused too.
  await Deno.writeTextFile(join(roots.user, "gateways/file"), "");
  await assert.rejects(writeUserGatewayFile(roots, "file", "token", "x"), /not a directory/);
});

Deno.test("removing an entry whose mtls/ is a symlink removes the link, not its target", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  await writeEntry(roots.user, "corp");
  await writeEntry(roots.system, "corp");
  const outside = join(sandbox.root, "keys");
  await Deno.mkdir(outside);
  await Deno.writeTextFile(join(outside, "tls.key"), "precious");
  await Deno.symlink(outside, join(roots.user, "gateways/corp/mtls"));
  await removeUserGateway(roots, "corp");
  assert.equal(await Deno.readTextFile(join(outside, "tls.key")), "precious");
  await assert.rejects(Deno.lstat(join(roots.user, "gateways/corp/mtls")), Deno.errors.NotFound);
});

Deno.test("an active_gateway warning quotes at most 80 characters of the file, escaped", async () => {
  await using sandbox = await createSandbox();
  const roots = sandboxRoots(sandbox);
  const path = await writeActive(roots.user, `\x1b[2J${"a/".repeat(100_000)}`);
  const warnings: string[] = [];
  assert.equal(readActiveFile(path, (w) => warnings.push(w)), undefined);
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.length < path.length + 200, warnings[0]);
  assert.match(warnings[0]!, /invalid gateway name '\\x1b\[2Ja\/a\/.*…\(200004 characters\)'/);
});
