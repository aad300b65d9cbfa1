/**
 * Every problem a metadata file or a registration about to be written can have is reported
 * with the words earlier versions used, field by field and in the same order, and what is
 * accepted comes out with the same fields in the same order (`metadata_checks.json` was
 * recorded from the previous schema).
 */
import assert from "node:assert/strict";
import { checkGatewayMetadata, parseMetadataWithSchema } from "../src/registry/gateway_metadata.ts";

interface Case {
  input: unknown;
  check: string;
  parse: string;
}

const CASES = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/metadata_checks.json", import.meta.url)),
) as Case[];

async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    return JSON.stringify(await run());
  } catch (error) {
    return `ERR ${(error as Error).message}`;
  }
}

Deno.test("metadata checks report and accept what they always did", async () => {
  assert.ok(CASES.length > 200);
  for (const { input, check, parse } of CASES) {
    const name = JSON.stringify(input);
    assert.equal(await outcome(() => checkGatewayMetadata(input)), check, name);
    if (typeof input === "object" && input !== null && !Array.isArray(input)) {
      assert.equal(await outcome(() => parseMetadataWithSchema(input, "m.json")), parse, name);
    }
  }
});
