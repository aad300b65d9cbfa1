/**
 * The interactive chooser of `gateway select` on a terminal: a numbered list on stderr and
 * a prompt answered with a number or a name.
 *
 * @module
 */
import { printMessage } from "./output.ts";

/**
 * Interprets an answer to the chooser: a 1-based number in range, else an exact name.
 * Blank means cancel (`null`); anything else is `undefined` (ask again).
 *
 * @example
 * ```ts
 * parseChoice("2", ["a", "b"]); // "b"
 * ```
 */
export function parseChoice(answer: string, names: string[]): string | null | undefined {
  const text = answer.trim();
  if (text === "") return null;
  if (/^\d+$/.test(text)) {
    const index = Number(text) - 1;
    if (index >= 0 && index < names.length) return names[index];
  }
  return names.includes(text) ? text : undefined;
}

/**
 * Asks on the terminal which of `names` to select; `current` is marked. Returns the name,
 * or undefined when the user cancels (blank answer, end of input).
 */
export async function chooseGateway(
  names: string[],
  labels: string[],
  current: string | undefined,
): Promise<string | undefined> {
  printMessage("Select a gateway:");
  names.forEach((name, i) => {
    const mark = name === current ? "*" : " ";
    printMessage(`${mark} ${String(i + 1).padStart(String(names.length).length)}) ${labels[i]}`);
  });
  const lines = readLines();
  for (;;) {
    Deno.stderr.writeSync(new TextEncoder().encode(`Number or name [1-${names.length}]: `));
    const { value, done } = await lines.next();
    if (done) {
      printMessage("");
      return undefined;
    }
    const choice = parseChoice(value, names);
    if (choice === null) return undefined;
    if (choice !== undefined) return choice;
    printMessage(`'${value.trim()}' is not one of the listed gateways`);
  }
}

async function* readLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of Deno.stdin.readable) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline).replace(/\r$/, "");
      buffered = buffered.slice(newline + 1);
    }
  }
  if (buffered !== "") yield buffered;
}
