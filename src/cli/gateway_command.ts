import { Command } from "@commander-js/extra-typings";

/** The `openshell gateway` command. */
export function gatewayCommand() {
  return new Command("gateway").description("Manage gateway registrations");
}
