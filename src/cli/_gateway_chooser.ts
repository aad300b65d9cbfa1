/**
 * The interactive chooser of `gateway select` on a terminal: a numbered list on stderr and
 * a prompt answered with a number or a name.
 *
 * @module
 */
import { printMessage } from "./_output.ts";
import { writeStdio } from "./_write_stdio.ts";

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

/** One gateway offered by the chooser. */
export interface ChooserRow {
  name: string;
  endpoint: string;
  type: string;
  source: string;
}

/**
 * The chooser's lines: a header and one numbered row per gateway, every column aligned
 * (numbers right-aligned), the current gateway marked `*`.
 *
 * @example
 * ```ts
 * chooserLines([{ name: "a", endpoint: "http://h:1", type: "local", source: "user" }], "a");
 * // ["       NAME  ENDPOINT    TYPE   SOURCE", "*  1)  a     http://h:1  local  user"]
 * ```
 */
export function chooserLines(rows: readonly ChooserRow[], current: string | undefined): string[] {
  const numberWidth = String(rows.length).length;
  const columns = ["NAME", "ENDPOINT", "TYPE", "SOURCE"];
  const cells = rows.map((row) => [row.name, row.endpoint, row.type, row.source]);
  const widths = columns.map((header, i) =>
    Math.max(header.length, ...cells.map((cell) => [...cell[i]!].length))
  );
  const join = (values: string[]) =>
    values.map((value, i) => value.padEnd(widths[i]! + value.length - [...value].length))
      .join("  ").trimEnd();
  return [
    `${" ".repeat(numberWidth + 6)}${join(columns)}`,
    ...cells.map((cell, i) => {
      const mark = rows[i]!.name === current ? "*" : " ";
      return `${mark}  ${String(i + 1).padStart(numberWidth)})  ${join(cell)}`;
    }),
  ];
}

/**
 * Asks on the terminal which of `rows` to select; `current` is marked. Returns the name,
 * or undefined when the user cancels (blank answer, end of input).
 */
export async function chooseGateway(
  rows: readonly ChooserRow[],
  current: string | undefined,
): Promise<string | undefined> {
  const names = rows.map((row) => row.name);
  printMessage("Select a gateway:");
  for (const line of chooserLines(rows, current)) printMessage(line);
  const lines = readLines();
  for (;;) {
    writeStdio("stderr", `Number or name [1-${names.length}]: `);
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
