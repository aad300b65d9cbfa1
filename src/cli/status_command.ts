import { Command } from "@commander-js/extra-typings";

/** The `openshell status` command. */
export function statusCommand() {
  return new Command("status").description("Show the active gateway and whether it answers");
}
