/**
 * The gateway reads its HTTP/2, gRPC and protobuf modules only once an HTTP/2 client comes, so a
 * started gateway no such client has reached holds none of them. Run as the container runs it,
 * under Deno's debug log, which names every module file Deno reads.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { gatewayCommand, grpcHealth, SOURCE_DIR, withDir } from "./_helpers/gateway_process.ts";
import { freePort } from "./_helpers/loopback.ts";

/** The modules read on the first HTTP/2 connection, as the debug log names them (URLs). */
const ON_FIRST_HTTP2 = [
  "server/_http2_connection.ts",
  "server/_grpc_service.ts",
  "server/_protocol_bundle.js",
].map((module) => pathToFileURL(join(SOURCE_DIR, module)).href);

/** Resolves once `test()` holds, or rejects after `ms`. */
async function until(test: () => boolean, ms: number, what: string): Promise<void> {
  const end = performance.now() + ms;
  while (!test()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test("the gateway reads its HTTP/2, gRPC and protobuf modules only once an HTTP/2 client comes", async () => {
  await withDir(async (dir) => {
    const listen = `127.0.0.1:${freePort()}`;
    const child = gatewayCommand(dir, listen, { denoFlags: ["--log-level=debug"] }).spawn();
    let stdout = "";
    let stderr = "";
    const reading = Promise.all([
      (async () => {
        for await (const text of child.stdout.pipeThrough(new TextDecoderStream())) stdout += text;
      })(),
      (async () => {
        for await (const text of child.stderr.pipeThrough(new TextDecoderStream())) stderr += text;
      })(),
    ]);
    try {
      await until(() => stdout.includes('"Listening"'), 20_000, "the gateway to listen");
      const response = await fetch(`http://${listen}/healthz`);
      await response.body?.cancel();
      assert.equal(response.status, 200);
      // The debug log is a pipe of its own: give what it may still hold time to arrive.
      await new Promise((resolve) => setTimeout(resolve, 200));
      for (const module of ON_FIRST_HTTP2) {
        assert.ok(!stderr.includes(module), `${module} read before any HTTP/2 client`);
      }
      assert.equal(await grpcHealth(`http://${listen}`), "0");
      await until(
        () => ON_FIRST_HTTP2.every((module) => stderr.includes(module)),
        5_000,
        "the HTTP/2 modules in the debug log",
      );
    } finally {
      child.kill("SIGTERM");
      await child.status;
      await reading;
    }
  });
});
