import { Command } from "@commander-js/extra-typings";

/** The `openshell serve` command. */
export function serveCommand() {
  return new Command("serve").description("Run the packaged gateway under an OCI runtime");
}
