import { Command } from "@commander-js/extra-typings";

/** The `openshell bundle` command. */
export function bundleCommand() {
  return new Command("bundle").description("Inspect and manage the embedded gateway rootfs");
}
