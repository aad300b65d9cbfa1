import { Argument, Command } from "@commander-js/extra-typings";
import type { CommandNode } from "./_completion_model.ts";
import { printData } from "./output.ts";

/** `openshell completions bash|zsh|fish`: the shell completion script, on stdout. */
export function completionsCommand() {
  return new Command("completions")
    .description("Print the shell completion script for bash, zsh or fish")
    .addArgument(new Argument("<shell>", "the shell").choices(["bash", "zsh", "fish"]))
    .addHelpText(
      "after",
      `
Examples:
  source <(openshell completions bash)      # in ~/.bashrc
  source <(openshell completions zsh)       # in ~/.zshrc
  openshell completions fish | source       # in ~/.config/fish/config.fish
  openshell completions bash > /etc/bash_completion.d/openshell`,
    )
    .action(async (shell, _options, command) => {
      const { completionModel } = await import("./_completion_model.ts");
      const { completionScript } = await import("./_completion_scripts.ts");
      let root: Command = command as unknown as Command;
      while (root.parent) root = root.parent as unknown as Command;
      printData(
        completionScript(shell, completionModel(root as unknown as CommandNode), root.name()),
      );
    });
}
