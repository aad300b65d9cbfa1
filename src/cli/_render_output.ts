/**
 * Turns command results into the text of `-o table|json|yaml`. The table and YAML libraries
 * are loaded only when those formats are asked for, so `-o json` stays fast.
 *
 * @module
 */

/** The output formats of listing commands. */
export const OUTPUT_FORMATS = ["table", "json", "yaml"] as const;
/** One of {@linkcode OUTPUT_FORMATS}. */
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** JSON with a 2-space indent. */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** YAML, as `npm:yaml` writes it. */
export async function renderYaml(value: unknown): Promise<string> {
  const { stringify } = await import("yaml");
  return stringify(value);
}

const NO_BORDER = {
  "top": "",
  "top-mid": "",
  "top-left": "",
  "top-right": "",
  "bottom": "",
  "bottom-mid": "",
  "bottom-left": "",
  "bottom-right": "",
  "left": "",
  "left-mid": "",
  "mid": "",
  "mid-mid": "",
  "right": "",
  "right-mid": "",
  "middle": "  ",
};

/**
 * A borderless table: a header row and data rows, columns separated by two spaces, no
 * trailing whitespace, no colour codes. Widths account for wide characters.
 */
export async function renderTable(head: string[], rows: string[][]): Promise<string> {
  const { default: Table } = await import("cli-table3");
  const table = new Table({
    head,
    chars: NO_BORDER,
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  table.push(...rows);
  return table.toString().split("\n").map((line) => line.trimEnd()).join("\n");
}
