import assert from "node:assert/strict";
import { createGatewayHandler } from "../src/server/_gateway_handler.ts";
import { launchProof, newChallenge } from "../src/contract/launch_proof.ts";
import { isOkStatusLine, isProvenOk, probeReadiness } from "../src/client/health_probe.ts";

Deno.test("only an HTTP/1.x 200 status line is healthy", () => {
  assert.equal(isOkStatusLine("HTTP/1.1 200 OK\r\n"), true);
  assert.equal(isOkStatusLine("HTTP/1.0 200 \r\n"), true);
  for (const line of ["HTTP/1.1 503 Service Unavailable\r\n", "HTTP/1.1 2000 x", "", "200 OK"]) {
    assert.equal(isOkStatusLine(line), false, line);
  }
});

Deno.test("the health probe asks a real server and tells 200 from the rest", async () => {
  let status = 503;
  const paths: string[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      paths.push(new URL(request.url).pathname);
      return new Response("ok\n", { status });
    },
  );
  const address = { hostname: "127.0.0.1", port: server.addr.port };
  assert.equal(await probeReadiness(address, "/healthz"), false);
  status = 200;
  assert.equal(await probeReadiness(address, "/healthz"), true);
  assert.deepEqual(paths, ["/healthz", "/healthz"]);

  // Nothing listening: refused at once.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = closed.addr.port;
  closed.close();
  assert.equal(await probeReadiness({ hostname: "127.0.0.1", port }, "/healthz"), false);
});

Deno.test("the health probe gives up on a listener that never answers", async () => {
  const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const connection of silent) held.push(connection);
  })();
  const started = performance.now();
  assert.equal(
    await probeReadiness({ hostname: "127.0.0.1", port: silent.addr.port }, "/", 200),
    false,
  );
  assert.ok(performance.now() - started < 2000);
  for (const connection of held) connection.close();
  silent.close();
  await accepting.catch(() => {});
});

Deno.test("a challenged probe accepts only a 200 carrying the expected proof", () => {
  const proof = { challenge: "c".repeat(64), expected: "ab12" };
  const head = (status: string, headers: string[]) =>
    [`HTTP/1.1 ${status}`, ...headers, "", ""].join("\r\n");
  assert.equal(isProvenOk(head("200 OK", ["X-OpenShell-Proof: ab12"]), proof), true);
  assert.equal(
    isProvenOk(head("200 OK", ["content-type: x", "x-openshell-proof:ab12 "]), proof),
    true,
  );
  for (
    const [text, why] of [
      [head("200 OK", []), "no proof"],
      [head("200 OK", ["x-openshell-proof: ab13"]), "wrong proof"],
      [head("200 OK", ["x-openshell-proof: ab12x"]), "longer proof"],
      [head("200 OK", ["x-other: ab12"]), "other header"],
      [head("401 Unauthorized", ["x-openshell-proof: ab12"]), "not a 200"],
      ["HTTP/1.1 200 OK\r\nx-openshell-proof: ab12\r\n", "head not complete"],
    ] as const
  ) {
    assert.equal(isProvenOk(text, proof), false, why);
  }
  assert.equal(isProvenOk(head("200 OK", []), undefined), true, "no challenge, no proof needed");
});

Deno.test("the probe tells the gateway that holds the token from another server on the port", async () => {
  const token = "t0ken";
  const challenge = newChallenge();
  const proof = { challenge, expected: await launchProof(token, challenge) };
  const ours = createGatewayHandler({
    identity: { name: "a", version: "1", pid: 1, uid: 0, starts: 1 },
    token,
    startedAt: 0,
  });
  const theirs = createGatewayHandler({
    identity: { name: "b", version: "1", pid: 2, uid: 0, starts: 1 },
    token: "another",
    startedAt: 0,
  });
  for (const [handler, expected] of [[ours, true], [theirs, false]] as const) {
    // The gateway's routes behind a plain HTTP server: only the proof tells them apart.
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (r) => {
        const answer = await handler({
          method: r.method,
          path: new URL(r.url).pathname,
          header: (name) => r.headers.get(name),
        });
        return new Response(answer.body, { status: answer.status, headers: answer.headers });
      },
    );
    const address = { hostname: "127.0.0.1", port: server.addr.port };
    assert.equal(await probeReadiness(address, "/healthz", 2000, proof), expected);
    assert.equal(await probeReadiness(address, "/healthz"), true, "unchallenged: any 200");
  }
});
