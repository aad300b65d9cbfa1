/**
 * The `openshell` program: `deno run -A src/main.ts <args>` behaves exactly like the
 * compiled binary. Inside the gateway container the compiled binary is started as
 * `openshell __gateway ...`, which runs the gateway server without loading the CLI.
 *
 * @module
 */
if (import.meta.main) {
  if (Deno.args[0] === "__gateway") {
    const { runGateway } = await import("./server/mod.ts");
    Deno.exit(await runGateway(Deno.args.slice(1)));
  }
  // A launch is stoppable from its first moment, before anything slow loads.
  if (Deno.args[0] === "serve") {
    (await import("./host/mod.ts")).catchStopSignals();
    import("./serve/mod.ts").catch(() => {}); // loads while the CLI's modules do
  }
  const { runCli } = await import("./cli/mod.ts");
  Deno.exit(await runCli(Deno.args));
}
