import { Command } from "@commander-js/extra-typings";

/** The `openshell term` command. */
export function termCommand() {
  return new Command("term").description("Full-screen terminal view of gateways");
}
